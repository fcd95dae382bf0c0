// Taking ENIs away, shared by offboarding and by onboarding's removal of ENIs no plan wants:
// interface down on the node (best effort: the node may be gone), detach, wait, delete.
import { log } from '@temporalio/workflow';
import { cleanupWaits as cleanup, nodeBestEffort } from './activities';

export interface ReleasableEni {
  eniId: string;
  mac: string;
}

export interface ReleaseOptions {
  nodeName: string;
  region: string;
  forceDetachAfterSeconds: number;
  now: () => number;
  onStatus?: (eniId: string, status: 'detaching' | 'deleting' | 'deleted', detail?: string) => void;
}

export async function releaseEnis(enis: ReleasableEni[], opts: ReleaseOptions): Promise<string[]> {
  const warnings: string[] = [];
  const node = nodeBestEffort(opts.nodeName);
  await Promise.all(
    enis.map(async (eni) => {
      try {
        await node.releaseInterface({ mac: eni.mac });
      } catch (err) {
        // The node may be gone (deleted, terminated); detaching is what matters.
        warnings.push(`could not take the interface of ${eni.eniId} down on ${opts.nodeName}: ${(err as Error).message}`);
      }
      opts.onStatus?.(eni.eniId, 'detaching');
      const detached = await cleanup.detachEni({ region: opts.region, eniId: eni.eniId, forceAfterMs: opts.forceDetachAfterSeconds * 1000, startedAt: opts.now() });
      if (detached.forced) warnings.push(`${eni.eniId} needed a forced detach`);
      if (detached.state === 'available') {
        opts.onStatus?.(eni.eniId, 'deleting');
        await cleanup.deleteEni({ region: opts.region, eniId: eni.eniId });
      }
      opts.onStatus?.(eni.eniId, 'deleted', detached.state === 'gone' ? 'already gone' : undefined);
      log.info('released ENI', { eniId: eni.eniId, forced: detached.forced });
    }),
  );
  return warnings;
}
