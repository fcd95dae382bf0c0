// The node's own instance as EC2 sees it, and the one change eniflow makes to it: the IMDS hop limit.
import {
  DescribeInstancesCommand,
  ModifyInstanceMetadataOptionsCommand,
  type EC2Client,
  type Instance,
  type InstanceMetadataOptionsResponse,
} from '@aws-sdk/client-ec2';
import type { InstanceFacts, MetadataOptions } from '../domain/types';
import { instanceEniToFacts } from './enis';

function enabledOr(value: string | undefined, fallback: 'enabled' | 'disabled'): 'enabled' | 'disabled' {
  return value === 'enabled' || value === 'disabled' ? value : fallback;
}

/** AWS defaults fill any field the API leaves out (moto omits some after a partial modify). */
export function toMetadataOptions(md: InstanceMetadataOptionsResponse | undefined): MetadataOptions {
  return {
    httpTokens: md?.HttpTokens === 'required' ? 'required' : 'optional',
    httpPutResponseHopLimit: md?.HttpPutResponseHopLimit ?? 1,
    httpEndpoint: enabledOr(md?.HttpEndpoint, 'enabled'),
    httpProtocolIpv6: enabledOr(md?.HttpProtocolIpv6, 'disabled'),
    instanceMetadataTags: enabledOr(md?.InstanceMetadataTags, 'disabled'),
    state: md?.State === 'pending' ? 'pending' : 'applied',
  };
}

export function toInstanceFacts(instance: Instance): InstanceFacts {
  const instanceId = instance.InstanceId ?? '';
  return {
    instanceId,
    state: instance.State?.Name ?? 'unknown',
    vpcId: instance.VpcId ?? '',
    subnetId: instance.SubnetId ?? '',
    availabilityZone: instance.Placement?.AvailabilityZone ?? '',
    instanceType: instance.InstanceType ?? '',
    metadataOptions: toMetadataOptions(instance.MetadataOptions),
    networkInterfaces: (instance.NetworkInterfaces ?? [])
      .map((eni) => instanceEniToFacts(eni, instanceId))
      .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0)),
  };
}

async function describeRaw(ec2: EC2Client, instanceId: string): Promise<Instance> {
  const res = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = res.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  if (!instance) throw new Error(`DescribeInstances returned no instance ${instanceId}`);
  return instance;
}

/** One DescribeInstances call. ENIs come from the instance's own view, so their `tags` are empty. */
export async function describeInstance(ec2: EC2Client, instanceId: string): Promise<InstanceFacts> {
  return toInstanceFacts(await describeRaw(ec2, instanceId));
}

/**
 * Sets the hop limit on this one instance. Every other option is sent as it is now, so the change
 * never flips HttpTokens or the endpoint (the original controller forced HttpTokens=required).
 */
export async function setHopLimit(ec2: EC2Client, instanceId: string, md: MetadataOptions, hopLimit: number): Promise<void> {
  if (!Number.isInteger(hopLimit) || hopLimit < 1 || hopLimit > 64) throw new Error(`hop limit must be an integer 1..64, got ${hopLimit}`);
  await ec2.send(
    new ModifyInstanceMetadataOptionsCommand({
      InstanceId: instanceId,
      HttpPutResponseHopLimit: hopLimit,
      HttpTokens: md.httpTokens,
      HttpEndpoint: md.httpEndpoint,
      HttpProtocolIpv6: md.httpProtocolIpv6,
      InstanceMetadataTags: md.instanceMetadataTags,
    }),
  );
}

export interface WaitMetadataOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called before each poll: activities heartbeat here. */
  onPoll?: () => void;
}

/** Polls DescribeInstances until the metadata options are `applied` with this hop limit. */
export async function waitMetadataApplied(
  ec2: EC2Client,
  instanceId: string,
  hopLimit: number,
  opts: WaitMetadataOptions,
): Promise<MetadataOptions> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 1000;
  let last: MetadataOptions | undefined;
  for (;;) {
    opts.onPoll?.();
    last = toMetadataOptions((await describeRaw(ec2, instanceId)).MetadataOptions);
    if (last.state === 'applied' && last.httpPutResponseHopLimit === hopLimit) return last;
    if (Date.now() + interval > deadline) {
      throw new Error(
        `metadata options of ${instanceId} not applied with hop limit ${hopLimit} within ${opts.timeoutMs} ms ` +
          `(last seen: state ${last.state}, hop limit ${last.httpPutResponseHopLimit})`,
      );
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
