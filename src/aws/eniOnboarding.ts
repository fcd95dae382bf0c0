// Exactly-once ENIs: plan from what EC2 really has, adopt what carries our tags, create with a
// deterministic ClientToken, attach at the planned index, then DeleteOnTermination as asked.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { defaultDescription, subnetRefs, type NodeEniPolicy } from '../config/nodeEni';
import { planDeviceIndices, type WantedEni } from '../domain/deviceIndex';
import { clientToken, eniKeyHash, eniTags, TAG_CLUSTER, TAG_KEY, TAG_NODE } from '../domain/tags';
import type { EniFacts, EniPlan } from '../domain/types';
import { classifyAwsError } from './errors';
import { attachEni, createEni, describeEni, findEnisByTags, listInstanceEnis, setDeleteOnTermination, setSecurityGroups } from './enis';
import { directResolver, type ReferenceResolver } from './referenceCache';

export interface PlanRequest {
  region: string;
  cluster: string;
  nodeName: string;
  instanceId: string;
  vpcId: string;
  /** An ENI can only attach to an instance in its own subnet's AZ: other subnets are skipped. */
  availabilityZone: string;
  /** The instance's attachments as just described (eni, device index); read from EC2 when absent. */
  attached?: Array<{ eniId: string; deviceIndex: number }>;
  policies: NodeEniPolicy[];
}

export interface NodeEniPlan {
  plans: EniPlan[];
  /** Why a named subnet got no ENI on this node (e.g. it is in another availability zone). */
  skipped: string[];
  /**
   * ENIs of ours on this node that no plan wants any more: a subnet removed from a NodeENI, or a
   * NodeENI that no longer applies to the node. The policies given are the node's whole desired state.
   */
  stale: EniFacts[];
}

/** One EniPlan per (NodeENI, subnet), in policy and subnet order, with device indices planned. */
export async function planNodeEnis(ec2: EC2Client, req: PlanRequest, references: ReferenceResolver = directResolver): Promise<NodeEniPlan> {
  const skipped: string[] = [];
  const drafts: Array<Omit<EniPlan, 'deviceIndex'> & { preferredIndex: number }> = [];
  for (const policy of req.policies) {
    const refs = subnetRefs(policy.spec);
    const subnets = await references.subnets(ec2, req.region, { vpcId: req.vpcId, ids: refs.ids, names: refs.names });
    const securityGroupIds = await references.securityGroups(ec2, req.region, {
      vpcId: req.vpcId,
      ids: policy.spec.securityGroupIDs ?? [],
      names: policy.spec.securityGroupNames ?? [],
    });
    subnets.forEach((subnet, position) => {
      if (subnet.availabilityZone !== req.availabilityZone) {
        skipped.push(`NodeENI ${policy.name}: subnet ${subnet.subnetId} is in ${subnet.availabilityZone}, the node in ${req.availabilityZone}; no ENI from it on this node`);
        return;
      }
      const key = { cluster: req.cluster, nodeEniName: policy.name, nodeName: req.nodeName, subnetId: subnet.subnetId };
      drafts.push({
        nodeEniName: policy.name,
        subnetId: subnet.subnetId,
        subnetCidr: subnet.cidrBlock,
        securityGroupIds,
        description: policy.spec.description ?? defaultDescription(req.nodeName),
        deleteOnTermination: policy.spec.deleteOnTermination,
        mtu: policy.spec.mtu,
        tags: eniTags(key, policy.spec.tags),
        key: eniKeyHash(key),
        preferredIndex: policy.spec.deviceIndex + position,
      });
    });
  }
  // One describe for ours (attached or not, with tags); the instance's attachments come from the
  // DescribeInstances the workflow just made, or are read afresh when re-planning after a conflict.
  const [owned, instanceEnis] = await Promise.all([
    findEnisByTags(ec2, { [TAG_CLUSTER]: req.cluster, [TAG_NODE]: req.nodeName }),
    req.attached ? Promise.resolve(undefined) : listInstanceEnis(ec2, req.instanceId),
  ]);
  const attached = req.attached ?? instanceEnis!.filter((eni) => eni.attachment).map((eni) => ({ eniId: eni.eniId, deviceIndex: eni.attachment!.deviceIndex }));
  const ownedByKey = new Map(owned.map((eni) => [eni.tags[TAG_KEY], eni]));
  const keyOf = new Map(owned.map((eni) => [eni.eniId, eni.tags[TAG_KEY]]));
  const wanted: WantedEni[] = drafts.map((d) => ({ key: d.key, preferredIndex: d.preferredIndex }));
  const indices = planDeviceIndices(
    wanted,
    attached.map((a) => ({ key: keyOf.get(a.eniId), deviceIndex: a.deviceIndex })),
  );
  const plans = drafts.map(({ preferredIndex: _preferred, ...draft }) => {
    const existing = ownedByKey.get(draft.key);
    const usable = existing && (!existing.attachment || existing.attachment.instanceId === req.instanceId);
    return { ...draft, deviceIndex: indices.get(draft.key)!, adoptEniId: usable ? existing.eniId : undefined };
  });
  const wantedKeys = new Set(plans.map((p) => p.key));
  // Never reach into another instance, even for an ENI tagged with this node's name.
  const stale = owned.filter((eni) => !wantedKeys.has(eni.tags[TAG_KEY]) && (!eni.attachment || eni.attachment.instanceId === req.instanceId));
  return { plans, skipped, stale };
}

export interface EnsuredEni {
  eni: EniFacts;
  origin: 'created' | 'adopted';
  securityGroupsChanged?: boolean;
}

/** Adopts the plan's existing ENI, or creates one; a retried create returns the same ENI (ClientToken). */
export async function ensurePlannedEni(
  ec2: EC2Client,
  plan: EniPlan,
  opts: { cluster: string; nodeName: string; retrying: boolean; createAttempt: string },
): Promise<EnsuredEni> {
  if (plan.adoptEniId) {
    const existing = await describeEni(ec2, plan.adoptEniId);
    if (existing) {
      // A NodeENI whose security groups changed: the adopted ENI follows the spec.
      const want = [...plan.securityGroupIds].sort();
      if (want.length > 0 && want.join() !== [...existing.securityGroupIds].sort().join()) {
        await setSecurityGroups(ec2, existing.eniId, want);
        return { eni: { ...existing, securityGroupIds: want }, origin: 'adopted', securityGroupsChanged: true };
      }
      return { eni: existing, origin: 'adopted' };
    }
  }
  if (opts.retrying) {
    // A previous attempt may have created it and died before answering: its tags find it.
    const [mine] = await findEnisByTags(ec2, { [TAG_KEY]: plan.key });
    if (mine) return { eni: mine, origin: 'created' };
  }
  const eni = await createEni(ec2, {
    subnetId: plan.subnetId,
    securityGroupIds: plan.securityGroupIds,
    description: plan.description,
    tags: plan.tags,
    clientToken: clientToken({ cluster: opts.cluster, nodeEniName: plan.nodeEniName, nodeName: opts.nodeName, subnetId: plan.subnetId }, opts.createAttempt),
  });
  return { eni, origin: 'created' };
}

export class DeviceIndexConflictError extends Error {
  constructor(readonly deviceIndex: number, detail: string) {
    super(`device index ${deviceIndex} is already in use on the instance: ${detail}`);
    this.name = 'DeviceIndexConflictError';
  }
}

export class EniAttachedElsewhereError extends Error {
  constructor(eniId: string, instanceId: string) {
    super(`${eniId} is attached to another instance (${instanceId}); eniflow will not move it. Detach it or delete it.`);
    this.name = 'EniAttachedElsewhereError';
  }
}

export interface AttachRequest {
  instanceId: string;
  eniId: string;
  deviceIndex: number;
  deleteOnTermination: boolean;
  /** Check EC2 first: set on retries, when an earlier attempt may already have attached it. */
  checkFirst: boolean;
  /** The attachment the ENI had when it was adopted or created (no EC2 call needed to know it). */
  knownAttachment?: EniFacts['attachment'];
  heartbeat: (detail: string) => void;
  sleep: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

export interface AttachResult {
  attachmentId: string;
  deviceIndex: number;
  deleteOnTermination: boolean;
}

export async function attachAndSettle(ec2: EC2Client, req: AttachRequest): Promise<AttachResult> {
  let attachment = req.checkFirst ? (await describeEni(ec2, req.eniId))?.attachment : req.knownAttachment;
  if (attachment && attachment.instanceId !== req.instanceId) throw new EniAttachedElsewhereError(req.eniId, attachment.instanceId);
  // Already attached here, as a describe moments ago said (adoption, or a retry after a crash):
  // no attach and no wait, which saves a describe per ENI on every nothing-to-do onboarding.
  let settled = attachment?.status === 'attached' ? attachment : undefined;
  if (!attachment || attachment.status === 'detached' || attachment.status === 'detaching') {
    try {
      await attachEni(ec2, { eniId: req.eniId, instanceId: req.instanceId, deviceIndex: req.deviceIndex });
    } catch (err) {
      const info = classifyAwsError(err);
      if (info.code === 'InvalidParameterValue' && /device ?index/i.test(info.message)) throw new DeviceIndexConflictError(req.deviceIndex, info.message);
      if (info.code !== 'InvalidParameterValue' || !/in use/i.test(info.message)) throw err;
      // The ENI is attached already (e.g. an earlier attempt's attach did land): where to?
      const owner = (await describeEni(ec2, req.eniId))?.attachment;
      if (owner && owner.instanceId !== req.instanceId) throw new EniAttachedElsewhereError(req.eniId, owner.instanceId);
      if (!owner) throw err;
      if (owner.status === 'attached') settled = owner;
    }
  }
  // Wait for EC2 to finish the attachment, with backoff; heartbeats keep the activity alive.
  const deadline = Date.now() + (req.timeoutMs ?? 240_000);
  let delay = 250;
  while (!settled) {
    const eni = await describeEni(ec2, req.eniId);
    attachment = eni?.attachment;
    if (attachment?.status === 'attached') {
      settled = attachment;
      break;
    }
    if (Date.now() > deadline) throw new Error(`${req.eniId} did not reach 'attached' (last: ${attachment?.status ?? 'none'})`);
    req.heartbeat(`waiting for ${req.eniId} to attach (${attachment?.status ?? 'pending'})`);
    await req.sleep(delay);
    delay = Math.min(delay * 2, 5000);
  }
  if (settled.deleteOnTermination !== req.deleteOnTermination) {
    await setDeleteOnTermination(ec2, { eniId: req.eniId, attachmentId: settled.attachmentId, deleteOnTermination: req.deleteOnTermination });
  }
  return { attachmentId: settled.attachmentId, deviceIndex: settled.deviceIndex, deleteOnTermination: req.deleteOnTermination };
}
