// Resolves the subnets and security groups a NodeENI names (by ID or by name) inside the node's VPC.
// A reference that does not resolve is a spec error: ReferenceNotFoundError, never retried.
import {
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type Filter,
  type SecurityGroup,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { ReferenceNotFoundError } from './errors';
import { tagsToRecord } from './enis';

export { ReferenceNotFoundError };

export interface ResolvedSubnet {
  subnetId: string;
  cidrBlock: string;
  availabilityZone: string;
  name?: string;
}

export interface References {
  vpcId: string;
  ids: string[];
  names: string[];
}

function unique(values: string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter(Boolean))];
}

async function describeSubnets(ec2: EC2Client, filters: Filter[]): Promise<Subnet[]> {
  const out: Subnet[] = [];
  let nextToken: string | undefined;
  do {
    const res = await ec2.send(new DescribeSubnetsCommand({ Filters: filters, NextToken: nextToken }));
    out.push(...(res.Subnets ?? []));
    nextToken = res.NextToken;
  } while (nextToken);
  return out;
}

async function describeGroups(ec2: EC2Client, filters: Filter[]): Promise<SecurityGroup[]> {
  const out: SecurityGroup[] = [];
  let nextToken: string | undefined;
  do {
    const res = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters, NextToken: nextToken }));
    out.push(...(res.SecurityGroups ?? []));
    nextToken = res.NextToken;
  } while (nextToken);
  return out;
}

function toResolved(subnet: Subnet): ResolvedSubnet {
  const out: ResolvedSubnet = {
    subnetId: subnet.SubnetId ?? '',
    cidrBlock: subnet.CidrBlock ?? '',
    availabilityZone: subnet.AvailabilityZone ?? '',
  };
  const name = tagsToRecord(subnet.Tags).Name;
  if (name !== undefined) out.name = name;
  return out;
}

/** IDs first, then names, each in declaration order; a subnet named twice appears once. */
export async function resolveSubnets(ec2: EC2Client, refs: References): Promise<ResolvedSubnet[]> {
  const ids = unique(refs.ids);
  const names = unique(refs.names);
  const result: ResolvedSubnet[] = [];
  const seen = new Set<string>();
  const add = (s: Subnet) => {
    if (s.SubnetId && !seen.has(s.SubnetId)) {
      seen.add(s.SubnetId);
      result.push(toResolved(s));
    }
  };

  if (ids.length > 0) {
    // A filter (unlike SubnetIds) answers for the IDs that exist instead of failing on the first unknown one.
    const found = await describeSubnets(ec2, [{ Name: 'subnet-id', Values: ids }]);
    for (const id of ids) {
      const subnet = found.find((s) => s.SubnetId === id);
      if (!subnet) throw new ReferenceNotFoundError('SubnetNotFound', id, `subnet ${id} does not exist in this region`);
      if (subnet.VpcId !== refs.vpcId) {
        throw new ReferenceNotFoundError('SubnetInOtherVpc', id, `subnet ${id} is in ${subnet.VpcId}, not in the node's VPC ${refs.vpcId}`);
      }
      add(subnet);
    }
  }

  if (names.length > 0) {
    const found = await describeSubnets(ec2, [
      { Name: 'vpc-id', Values: [refs.vpcId] },
      { Name: 'tag:Name', Values: names },
    ]);
    for (const name of names) {
      const matches = found.filter((s) => tagsToRecord(s.Tags).Name === name);
      if (matches.length === 0) {
        throw new ReferenceNotFoundError('SubnetNotFound', name, `no subnet with tag Name=${name} in the node's VPC ${refs.vpcId}`);
      }
      if (matches.length > 1) {
        throw new ReferenceNotFoundError(
          'SubnetNameAmbiguous',
          name,
          `subnet name ${name} is ambiguous in VPC ${refs.vpcId}: ${matches.map((s) => s.SubnetId).join(', ')}; use subnetIDs instead`,
        );
      }
      add(matches[0]);
    }
  }
  return result;
}

/** Group IDs: IDs first, then names (by group-name, then by tag Name), declaration order, de-duplicated. */
export async function resolveSecurityGroups(ec2: EC2Client, refs: References): Promise<string[]> {
  const ids = unique(refs.ids);
  const names = unique(refs.names);
  const result: string[] = [];
  const add = (id: string) => {
    if (!result.includes(id)) result.push(id);
  };

  if (ids.length > 0) {
    const found = await describeGroups(ec2, [{ Name: 'group-id', Values: ids }]);
    for (const id of ids) {
      const group = found.find((g) => g.GroupId === id);
      if (!group) throw new ReferenceNotFoundError('SecurityGroupNotFound', id, `security group ${id} does not exist in this region`);
      if (group.VpcId !== refs.vpcId) {
        throw new ReferenceNotFoundError(
          'SecurityGroupInOtherVpc',
          id,
          `security group ${id} is in ${group.VpcId}, not in the node's VPC ${refs.vpcId}`,
        );
      }
      add(id);
    }
  }

  if (names.length > 0) {
    const vpcFilter = { Name: 'vpc-id', Values: [refs.vpcId] };
    const byGroupName = await describeGroups(ec2, [vpcFilter, { Name: 'group-name', Values: names }]);
    const missing = names.filter((n) => !byGroupName.some((g) => g.GroupName === n));
    const byTag = missing.length > 0 ? await describeGroups(ec2, [vpcFilter, { Name: 'tag:Name', Values: missing }]) : [];
    for (const name of names) {
      const direct = byGroupName.filter((g) => g.GroupName === name);
      const matches = direct.length > 0 ? direct : byTag.filter((g) => tagsToRecord(g.Tags).Name === name);
      if (matches.length === 0) {
        throw new ReferenceNotFoundError(
          'SecurityGroupNotFound',
          name,
          `no security group named ${name} (group name or tag Name) in the node's VPC ${refs.vpcId}`,
        );
      }
      if (matches.length > 1) {
        throw new ReferenceNotFoundError(
          'SecurityGroupNameAmbiguous',
          name,
          `security group name ${name} is ambiguous in VPC ${refs.vpcId}: ${matches.map((g) => g.GroupId).join(', ')}; use securityGroupIDs instead`,
        );
      }
      add(matches[0].GroupId ?? '');
    }
  }
  return result;
}
