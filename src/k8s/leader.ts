// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it (@kubernetes/client-node
// 2.0.1 ships no LeaderElector): the holder renews every few seconds; another replica takes over
// only after the lease expired. Writes carry the resourceVersion, so two candidates cannot both win.
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { conflictAware, orNotFound } from './client';
import { leaseDecision } from './leaseDecision';

export interface LeaderElectionOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  /** How often the leader renews and a candidate retries (default a third of the duration). */
  retryPeriodMs?: number;
  signal: AbortSignal;
  log?: (line: Record<string, unknown>) => void;
}

export interface Leadership {
  /** Aborted when leadership is lost (or the election stops). */
  lost: AbortSignal;
  /** Gives the lease up at shutdown so the next replica need not wait for expiry. */
  release(): Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

/** Resolves once this process leads; then renews in the background until the signal or a lost renewal. */
export async function acquireLeadership(options: LeaderElectionOptions): Promise<Leadership | undefined> {
  const { api, namespace, name, identity, signal } = options;
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
  const retry = options.retryPeriodMs ?? Math.max(500, Math.floor(options.leaseDurationMs / 3));
  const durationSeconds = Math.max(1, Math.round(options.leaseDurationMs / 1000));

  const tryOnce = async (): Promise<boolean> => {
    const lease = await orNotFound(api.readNamespacedLease({ name, namespace }));
    const now = new Date();
    const holder = lease?.spec?.holderIdentity;
    const renewTime = lease?.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : undefined;
    const decision = leaseDecision({ exists: Boolean(lease), holder, renewTimeMs: renewTime, leaseDurationSeconds: lease?.spec?.leaseDurationSeconds }, identity, now.getTime());
    if (decision === 'wait') return false;
    const transitions = (lease?.spec?.leaseTransitions ?? 0) + (decision === 'takeOver' ? 1 : 0);
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, ...(lease?.metadata?.resourceVersion ? { resourceVersion: lease.metadata.resourceVersion } : {}) },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: new V1MicroTime(now.getTime()),
        acquireTime: decision === 'renew' && lease?.spec?.acquireTime ? new V1MicroTime(new Date(lease.spec.acquireTime).getTime()) : new V1MicroTime(now.getTime()),
        leaseTransitions: transitions,
      },
    };
    try {
      if (!lease) await conflictAware('lease', api.createNamespacedLease({ namespace, body }));
      else await conflictAware('lease', api.replaceNamespacedLease({ name, namespace, body }));
      return true;
    } catch (err) {
      if ((err as Error).name === 'KubeConflictError') return false; // another candidate won this round
      throw err;
    }
  };

  while (!signal.aborted) {
    try {
      if (await tryOnce()) break;
    } catch (err) {
      log({ msg: 'leader election: lease request failed', error: (err as Error).message });
    }
    await sleep(retry, signal);
  }
  if (signal.aborted) return undefined;
  log({ msg: 'leader election: leading', lease: `${namespace}/${name}`, identity });

  const lost = new AbortController();
  void (async () => {
    let lastRenew = Date.now();
    while (!signal.aborted && !lost.signal.aborted) {
      await sleep(retry, signal);
      if (signal.aborted) break;
      try {
        if (await tryOnce()) lastRenew = Date.now();
        else {
          log({ msg: 'leader election: lease taken by another replica', identity });
          lost.abort();
        }
      } catch (err) {
        log({ msg: 'leader election: renewal failed', error: (err as Error).message });
        // Stop acting before the lease can expire: another replica may take over after that.
        if (Date.now() - lastRenew > options.leaseDurationMs - retry) lost.abort();
      }
    }
  })();

  return {
    lost: lost.signal,
    async release() {
      lost.abort();
      const lease = await orNotFound(api.readNamespacedLease({ name, namespace })).catch(() => undefined);
      if (!lease?.spec || lease.spec.holderIdentity !== identity) return;
      // As client-go's ReleaseOnCancel: an expired lease with no holder, which the next candidate takes at once.
      lease.spec.holderIdentity = undefined;
      lease.spec.leaseDurationSeconds = 1;
      lease.spec.renewTime = new V1MicroTime(Date.now() - 2000);
      if (lease.spec.acquireTime) lease.spec.acquireTime = new V1MicroTime(new Date(lease.spec.acquireTime).getTime());
      await api.replaceNamespacedLease({ name, namespace, body: lease }).catch(() => undefined);
    },
  };
}
