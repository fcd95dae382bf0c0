// Tags eniflow puts on every ENI it owns. They let a later run adopt an ENI after a crash (instead
// of creating a duplicate) and let cleanup find every ENI of a node or a NodeENI.
import { createHash } from 'node:crypto';

export const TAG_NODE_ENI = 'NodeENI';
export const TAG_NODE = 'Node';
export const TAG_SUBNET = 'SubnetID';
export const TAG_MANAGED_BY = 'kubernetes.io/cluster/managed-by';
export const TAG_CLUSTER = 'eniflow.io/cluster';
export const TAG_KEY = 'eniflow.io/key';
/** Keeps the VPC CNI away from the ENI; required, as in the original. */
export const TAG_NO_MANAGE = 'node.k8s.amazonaws.com/no_manage';

export interface EniKey {
  cluster: string;
  nodeEniName: string;
  nodeName: string;
  subnetId: string;
}

/** A stable, opaque identity for (cluster, NodeENI, node, subnet): the ClientToken and the adoption tag. */
export function eniKeyHash(key: EniKey): string {
  return createHash('sha256')
    .update([key.cluster, key.nodeEniName, key.nodeName, key.subnetId].join('\u0000'))
    .digest('hex')
    .slice(0, 40);
}

/**
 * EC2's ClientToken (64 ASCII characters at most; the prefix keeps it recognisable in CloudTrail).
 * The same for every retry of one create, but not across an ENI's lifetimes: EC2 answers a reused
 * token with the ENI it created the first time, even once that ENI is deleted. `attempt` names the
 * create (the workflow run and its pass), so re-onboarding after an offboarding creates afresh.
 */
export function clientToken(key: EniKey, attempt = ''): string {
  const hash = createHash('sha256').update(`${eniKeyHash(key)}\u0000${attempt}`).digest('hex').slice(0, 40);
  return `eniflow-${hash}`;
}

export function eniTags(key: EniKey, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    Name: `eniflow-${key.nodeName}-${key.nodeEniName}`.slice(0, 255),
    [TAG_NODE_ENI]: key.nodeEniName,
    [TAG_NODE]: key.nodeName,
    [TAG_SUBNET]: key.subnetId,
    [TAG_MANAGED_BY]: 'eniflow',
    [TAG_CLUSTER]: key.cluster,
    [TAG_KEY]: eniKeyHash(key),
    [TAG_NO_MANAGE]: 'true',
  };
}
