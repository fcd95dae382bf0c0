// A NodeENI's subnets and security groups resolve to the same IDs for every node in a VPC: a
// fleet of joining nodes shares one lookup per minute instead of two describes per node.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { resolveSecurityGroups, resolveSubnets, type ResolvedSubnet } from './subnets';

export interface ReferenceResolver {
  subnets(ec2: EC2Client, region: string, refs: { vpcId: string; ids: string[]; names: string[] }): Promise<ResolvedSubnet[]>;
  securityGroups(ec2: EC2Client, region: string, refs: { vpcId: string; ids: string[]; names: string[] }): Promise<string[]>;
}

/** Uncached: every call asks EC2. */
export const directResolver: ReferenceResolver = {
  subnets: (ec2, _region, refs) => resolveSubnets(ec2, refs),
  securityGroups: (ec2, _region, refs) => resolveSecurityGroups(ec2, refs),
};

/** Successful answers are kept for ttlMs (failures are not: a fixed typo works at the next try). */
export function cachedResolver(ttlMs = 60_000, now: () => number = Date.now): ReferenceResolver {
  const entries = new Map<string, { at: number; value: Promise<unknown> }>();
  function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = entries.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.value as Promise<T>;
    const value = load();
    entries.set(key, { at: now(), value });
    value.catch(() => entries.delete(key));
    return value;
  }
  const keyOf = (kind: string, region: string, refs: { vpcId: string; ids: string[]; names: string[] }) =>
    JSON.stringify([kind, region, refs.vpcId, refs.ids, refs.names]);
  return {
    subnets: (ec2, region, refs) => cached(keyOf('subnets', region, refs), () => resolveSubnets(ec2, refs)),
    securityGroups: (ec2, region, refs) => cached(keyOf('sgs', region, refs), () => resolveSecurityGroups(ec2, refs)),
  };
}
