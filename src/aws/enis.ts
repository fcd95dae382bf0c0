// Thin EC2 wrappers for ENIs: one call each (plus paging), results normalised to EniFacts.
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  ModifyNetworkInterfaceAttributeCommand,
  type EC2Client,
  type Filter,
  type InstanceNetworkInterface,
  type NetworkInterface,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { EniFacts } from '../domain/types';
import { classifyAwsError } from './errors';

export function tagsToRecord(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

export function recordToTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** What the two SDK shapes of an ENI (NetworkInterface, InstanceNetworkInterface) have in common. */
type EniShape = Pick<NetworkInterface, 'NetworkInterfaceId' | 'MacAddress' | 'SubnetId' | 'Groups' | 'Status' | 'PrivateIpAddress'> & {
  Attachment?: { AttachmentId?: string; DeviceIndex?: number; Status?: string; DeleteOnTermination?: boolean };
};

function eniFacts(eni: EniShape, tags: Record<string, string>, instanceId: string | undefined): EniFacts {
  const facts: EniFacts = {
    eniId: eni.NetworkInterfaceId ?? '',
    mac: (eni.MacAddress ?? '').toLowerCase(),
    subnetId: eni.SubnetId ?? '',
    securityGroupIds: (eni.Groups ?? []).map((g) => g.GroupId ?? '').filter(Boolean),
    status: eni.Status ?? 'unknown',
    tags,
  };
  if (eni.PrivateIpAddress) facts.privateIpAddress = eni.PrivateIpAddress;
  const a = eni.Attachment;
  if (a?.AttachmentId && instanceId) {
    facts.attachment = {
      attachmentId: a.AttachmentId,
      instanceId,
      deviceIndex: a.DeviceIndex ?? -1,
      status: a.Status ?? 'unknown',
      deleteOnTermination: a.DeleteOnTermination ?? false,
    };
  }
  return facts;
}

/** DescribeNetworkInterfaces / CreateNetworkInterface shape → EniFacts. */
export function toEniFacts(eni: NetworkInterface): EniFacts {
  return eniFacts(eni, tagsToRecord(eni.TagSet), eni.Attachment?.InstanceId);
}

/**
 * DescribeInstances' per-instance ENI shape → EniFacts. That shape has no tags, so `tags` is empty
 * here; use findEnisByTags / listInstanceEnis when tags matter.
 */
export function instanceEniToFacts(eni: InstanceNetworkInterface, instanceId: string): EniFacts {
  return eniFacts(eni, {}, instanceId);
}

async function describeAll(ec2: EC2Client, filters: Filter[]): Promise<EniFacts[]> {
  const out: EniFacts[] = [];
  let nextToken: string | undefined;
  do {
    const res = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filters, NextToken: nextToken }));
    for (const eni of res.NetworkInterfaces ?? []) out.push(toEniFacts(eni));
    nextToken = res.NextToken;
  } while (nextToken);
  return out;
}

/** Every ENI carrying all of these tags (AND of tag filters), with attachment info. */
export async function findEnisByTags(ec2: EC2Client, tags: Record<string, string>): Promise<EniFacts[]> {
  const filters = Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] }));
  // No filter would list every ENI in the region: never what a caller means.
  if (filters.length === 0) throw new Error('findEnisByTags needs at least one tag');
  return describeAll(ec2, filters);
}

/** Every ENI attached to the instance (primary included). */
export async function listInstanceEnis(ec2: EC2Client, instanceId: string): Promise<EniFacts[]> {
  return describeAll(ec2, [{ Name: 'attachment.instance-id', Values: [instanceId] }]);
}

function isNotFound(err: unknown): boolean {
  return /\.NotFound$/.test(classifyAwsError(err).code);
}

export async function describeEni(ec2: EC2Client, eniId: string): Promise<EniFacts | undefined> {
  try {
    const res = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
    const eni = res.NetworkInterfaces?.[0];
    return eni ? toEniFacts(eni) : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export interface CreateEniInput {
  subnetId: string;
  securityGroupIds: string[];
  description: string;
  tags: Record<string, string>;
  /** Same token → same ENI on AWS: a retried create never makes a duplicate. */
  clientToken: string;
}

export async function createEni(ec2: EC2Client, input: CreateEniInput): Promise<EniFacts> {
  const res = await ec2.send(
    new CreateNetworkInterfaceCommand({
      SubnetId: input.subnetId,
      Groups: input.securityGroupIds.length > 0 ? input.securityGroupIds : undefined,
      Description: input.description,
      ClientToken: input.clientToken,
      TagSpecifications: [{ ResourceType: 'network-interface', Tags: recordToTags(input.tags) }],
    }),
  );
  if (!res.NetworkInterface?.NetworkInterfaceId) throw new Error('CreateNetworkInterface returned no network interface');
  return toEniFacts(res.NetworkInterface);
}

export async function attachEni(ec2: EC2Client, input: { eniId: string; instanceId: string; deviceIndex: number }): Promise<string> {
  const res = await ec2.send(
    new AttachNetworkInterfaceCommand({ NetworkInterfaceId: input.eniId, InstanceId: input.instanceId, DeviceIndex: input.deviceIndex }),
  );
  if (!res.AttachmentId) throw new Error(`AttachNetworkInterface of ${input.eniId} returned no attachment ID`);
  return res.AttachmentId;
}

export async function setDeleteOnTermination(
  ec2: EC2Client,
  input: { eniId: string; attachmentId: string; deleteOnTermination: boolean },
): Promise<void> {
  await ec2.send(
    new ModifyNetworkInterfaceAttributeCommand({
      NetworkInterfaceId: input.eniId,
      Attachment: { AttachmentId: input.attachmentId, DeleteOnTermination: input.deleteOnTermination },
    }),
  );
}

export async function setSecurityGroups(ec2: EC2Client, eniId: string, groupIds: string[]): Promise<void> {
  await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: groupIds }));
}

/** Detaching an attachment that no longer exists counts as done. */
export async function detachEni(ec2: EC2Client, attachmentId: string, force: boolean): Promise<void> {
  try {
    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId, Force: force }));
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
}

/** Deleting an ENI that no longer exists counts as done. */
export async function deleteEni(ec2: EC2Client, eniId: string): Promise<void> {
  try {
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
}
