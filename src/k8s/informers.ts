// Watches of Nodes and NodeENIs (client-node informers = list + watch + cache). client-node 2.0.1
// restarts a watch after a timeout or a 410, but stops after any other error: restart it here with
// a backoff, so an API-server restart does not silently end the controller's view.
import { makeInformer, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { NODE_ENI_GROUP, NODE_ENI_PATH, NODE_ENI_PLURAL, NODE_ENI_VERSION } from './crd';
import type { KubeClients } from './client';
import type { NodeEniObject } from './statusPublisher';

export type Watched<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export interface WatchHandle<T extends KubernetesObject> {
  cache: ObjectCache<T>;
  /** True once a list succeeded: before that an empty cache means "not known", not "none". */
  synced(): boolean;
  stop(): Promise<void>;
}

function supervise<T extends KubernetesObject>(
  what: string,
  informer: Watched<T>,
  synced: () => boolean,
  onChange: (kind: 'add' | 'update' | 'delete', obj: T) => void,
  log: (line: Record<string, unknown>) => void,
): WatchHandle<T> {
  let stopped = false;
  let delay = 500;
  let timer: NodeJS.Timeout | undefined;
  informer.on('add', (o) => onChange('add', o));
  informer.on('update', (o) => onChange('update', o));
  informer.on('delete', (o) => onChange('delete', o));
  informer.on('connect', () => {
    delay = 500;
  });
  informer.on('error', (err?: unknown) => {
    if (stopped) return;
    log({ msg: `watch of ${what} failed; restarting`, error: (err as Error | undefined)?.message ?? String(err), inMs: delay });
    timer = setTimeout(() => {
      if (!stopped) informer.start().catch(() => undefined); // a failure reports through 'error' again
    }, delay);
    delay = Math.min(delay * 2, 30_000);
  });
  return {
    cache: informer,
    synced,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await informer.stop();
    },
  };
}

/** Starts both watches; resolves after their first list (the caches are complete). */
export async function watchNodesAndNodeEnis(
  clients: KubeClients,
  onChange: (what: 'node' | 'nodeeni', kind: 'add' | 'update' | 'delete', obj: KubernetesObject) => void,
  log: (line: Record<string, unknown>) => void,
) {
  let nodesListed = false;
  let nodeEnisListed = false;
  const nodeInformer = makeInformer(clients.kc, '/api/v1/nodes', async () => {
    const list = await clients.core.listNode();
    nodesListed = true;
    return list;
  });
  const nodeEniInformer = makeInformer<NodeEniObject & KubernetesObject>(clients.kc, NODE_ENI_PATH, async () => {
    const list = await clients.custom.listClusterCustomObject({ group: NODE_ENI_GROUP, version: NODE_ENI_VERSION, plural: NODE_ENI_PLURAL });
    nodeEnisListed = true;
    return list;
  });
  const nodes = supervise('nodes', nodeInformer, () => nodesListed, (kind, obj) => onChange('node', kind, obj), log);
  const nodeEnis = supervise('nodeenis', nodeEniInformer, () => nodeEnisListed, (kind, obj) => onChange('nodeeni', kind, obj), log);
  await Promise.all([nodeInformer.start(), nodeEniInformer.start()]);
  return { nodes, nodeEnis };
}
