// What a leader-election candidate does with the Lease it read. Pure, so jest can test it.

export interface LeaseState {
  exists: boolean;
  holder?: string;
  renewTimeMs?: number;
  leaseDurationSeconds?: number;
}

/** create: no lease yet; renew: we hold it; takeOver: free or expired; wait: someone else holds it. */
export function leaseDecision(lease: LeaseState, identity: string, nowMs: number): 'create' | 'renew' | 'takeOver' | 'wait' {
  if (!lease.exists) return 'create';
  if (lease.holder === identity) return 'renew';
  if (!lease.holder) return 'takeOver';
  const expiresAt = (lease.renewTimeMs ?? 0) + (lease.leaseDurationSeconds ?? 15) * 1000;
  return nowMs > expiresAt ? 'takeOver' : 'wait';
}
