// Seeds the EC2 emulator with a small cloud: one VPC with subnets in two AZs, a security group and one
// running instance per simulated node, each with the IMDS settings that node should start from.
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  ModifyInstanceMetadataOptionsCommand,
  RunInstancesCommand,
  type EC2Client,
  type Instance,
  type _InstanceType,
} from '@aws-sdk/client-ec2';

export interface SeedNode {
  name: string;
  httpTokens: 'optional' | 'required';
  hopLimit: number;
}

export interface SeedCloudOptions {
  region: string;
  nodes: SeedNode[];
  /** Default t3.large: three ENIs, enough for the primary plus two NodeENI subnets. */
  instanceType?: _InstanceType;
}

export interface SeededInstance {
  nodeName: string;
  instanceId: string;
  availabilityZone: string;
  privateIpAddress: string;
  primaryMac: string;
  primaryEniId: string;
}

export interface SeededCloud {
  region: string;
  vpcId: string;
  subnets: Array<{ subnetId: string; name: string; cidrBlock: string; availabilityZone: string }>;
  securityGroups: Array<{ groupId: string; name: string }>;
  instances: SeededInstance[];
}

export const SEED_VPC_CIDR = '10.42.0.0/16';
// Nodes live in the first AZ's node subnet; the two Multus subnets the demo's NodeENI names are in the
// same AZ (an ENI can only attach to an instance in its own subnet's AZ); the second AZ has its own.
const SUBNETS = [
  { name: 'eniflow-nodes-a', cidrBlock: '10.42.0.0/24', zone: 0 },
  { name: 'eniflow-multus-1', cidrBlock: '10.42.1.0/24', zone: 0 },
  { name: 'eniflow-multus-2', cidrBlock: '10.42.2.0/24', zone: 0 },
  { name: 'eniflow-nodes-b', cidrBlock: '10.42.10.0/24', zone: 1 },
  { name: 'eniflow-multus-b', cidrBlock: '10.42.11.0/24', zone: 1 },
];
export const SEED_SECURITY_GROUP = 'eniflow-multus';

const nameTag = (name: string) => [{ Key: 'Name', Value: name }];

export async function seedCloud(ec2: EC2Client, options: SeedCloudOptions): Promise<SeededCloud> {
  const azs = await twoZones(ec2, options.region);
  const vpc = await ec2.send(
    new CreateVpcCommand({ CidrBlock: SEED_VPC_CIDR, TagSpecifications: [{ ResourceType: 'vpc', Tags: nameTag('eniflow') }] }),
  );
  const vpcId = vpc.Vpc?.VpcId;
  if (!vpcId) throw new Error('CreateVpc returned no VPC ID');

  const subnets: SeededCloud['subnets'] = [];
  for (const spec of SUBNETS) {
    const res = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: spec.cidrBlock,
        AvailabilityZone: azs[spec.zone],
        TagSpecifications: [{ ResourceType: 'subnet', Tags: nameTag(spec.name) }],
      }),
    );
    if (!res.Subnet?.SubnetId) throw new Error(`CreateSubnet ${spec.name} returned no subnet ID`);
    subnets.push({ subnetId: res.Subnet.SubnetId, name: spec.name, cidrBlock: spec.cidrBlock, availabilityZone: azs[spec.zone] });
  }

  const sg = await ec2.send(
    new CreateSecurityGroupCommand({
      VpcId: vpcId,
      GroupName: SEED_SECURITY_GROUP,
      Description: 'eniflow local stack: secondary (Multus) interfaces',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: nameTag(SEED_SECURITY_GROUP) }],
    }),
  );
  if (!sg.GroupId) throw new Error('CreateSecurityGroup returned no group ID');

  const imageId = await linuxImage(ec2);
  const instances: SeededInstance[] = [];
  for (const node of options.nodes) {
    instances.push(await runNode(ec2, node, { imageId, subnetId: subnets[0].subnetId, instanceType: options.instanceType ?? 't3.large' }));
  }
  return { region: options.region, vpcId, subnets, securityGroups: [{ groupId: sg.GroupId, name: SEED_SECURITY_GROUP }], instances };
}

async function twoZones(ec2: EC2Client, region: string): Promise<string[]> {
  const res = await ec2.send(new DescribeAvailabilityZonesCommand({}));
  const zones = (res.AvailabilityZones ?? [])
    .filter((z) => z.State === undefined || z.State === 'available')
    .map((z) => z.ZoneName ?? '')
    .filter(Boolean)
    .sort();
  if (zones.length < 2) throw new Error(`region ${region} has fewer than two availability zones: ${zones.join(', ')}`);
  return zones.slice(0, 2);
}

/** moto ships real AMI IDs per region; RunInstances wants one of them. Prefer an x86_64 Amazon Linux 2. */
async function linuxImage(ec2: EC2Client): Promise<string> {
  const preferred = await ec2.send(
    new DescribeImagesCommand({
      Filters: [
        { Name: 'name', Values: ['amzn2-ami-*'] },
        { Name: 'architecture', Values: ['x86_64'] },
      ],
    }),
  );
  const pick = preferred.Images?.find((i) => i.ImageId)?.ImageId;
  if (pick) return pick;
  const any = await ec2.send(new DescribeImagesCommand({}));
  const fallback = any.Images?.find((i) => i.ImageId)?.ImageId;
  if (!fallback) throw new Error('the EC2 emulator offers no machine image to launch instances from');
  return fallback;
}

async function runNode(ec2: EC2Client, node: SeedNode, where: { imageId: string; subnetId: string; instanceType: _InstanceType }): Promise<SeededInstance> {
  const wanted = { HttpTokens: node.httpTokens, HttpPutResponseHopLimit: node.hopLimit, HttpEndpoint: 'enabled' as const };
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: where.imageId,
      InstanceType: where.instanceType,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: where.subnetId,
      MetadataOptions: wanted,
      TagSpecifications: [{ ResourceType: 'instance', Tags: nameTag(node.name) }],
    }),
  );
  const instanceId = run.Instances?.[0]?.InstanceId;
  if (!instanceId) throw new Error(`RunInstances for ${node.name} returned no instance`);

  let instance = await describe(ec2, instanceId);
  const md = instance.MetadataOptions;
  if (md?.HttpTokens !== wanted.HttpTokens || md?.HttpPutResponseHopLimit !== wanted.HttpPutResponseHopLimit || md?.HttpEndpoint !== 'enabled') {
    // Emulators that ignore MetadataOptions at launch get the same settings set afterwards.
    await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: instanceId, ...wanted }));
    instance = await describe(ec2, instanceId);
  }

  const primary = instance.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0);
  if (!primary?.NetworkInterfaceId || !primary.MacAddress) throw new Error(`instance ${instanceId} has no primary network interface`);
  return {
    nodeName: node.name,
    instanceId,
    availabilityZone: instance.Placement?.AvailabilityZone ?? '',
    privateIpAddress: instance.PrivateIpAddress ?? primary.PrivateIpAddress ?? '',
    primaryMac: primary.MacAddress.toLowerCase(),
    primaryEniId: primary.NetworkInterfaceId,
  };
}

async function describe(ec2: EC2Client, instanceId: string): Promise<Instance> {
  const res = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = res.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`DescribeInstances returned no instance ${instanceId}`);
  return instance;
}
