// Kubernetes access for eniflow's processes (controller and central worker), on
// @kubernetes/client-node. ESM-only: load this module only in processes (node dist/…), never in jest.
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Event,
  type V1Node,
} from '@kubernetes/client-node';
import { NODE_ENI_GROUP, NODE_ENI_PLURAL, NODE_ENI_VERSION } from './crd';
import { KubeConflictError, type EventSpec, type KubeStatusApi, type NodeEniObject, type NodeObject } from './statusPublisher';

/** True when this process runs in a pod (the kubelet sets these for every container). */
export function inCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT);
}

/** KUBECONFIG (a file) when given, else the pod's service account, else ~/.kube/config. */
export function loadKubeConfig(kubeconfigPath: string | undefined = process.env.KUBECONFIG): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else if (inCluster()) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error(`no Kubernetes cluster configured${kubeconfigPath ? ` in KUBECONFIG=${kubeconfigPath}` : ''}`);
  return kc;
}

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
}

export function makeClients(kc: KubeConfig): KubeClients {
  return { kc, core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi), coordination: kc.makeApiClient(CoordinationV1Api) };
}

export const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown; statusCode?: unknown })?.code ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** undefined for 404; a KubeConflictError for 409; anything else rethrown. */
export async function orNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

export async function conflictAware<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (statusCode(err) === 409) throw new KubeConflictError(what);
    throw err;
  }
}

const crd = { group: NODE_ENI_GROUP, version: NODE_ENI_VERSION, plural: NODE_ENI_PLURAL };

export function toNodeView(node: V1Node): NodeObject {
  const meta = node.metadata ?? {};
  return {
    metadata: {
      name: meta.name ?? '',
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      labels: meta.labels ?? {},
      annotations: meta.annotations ?? {},
      deletionTimestamp: meta.deletionTimestamp ? new Date(meta.deletionTimestamp).toISOString() : undefined,
    },
    spec: {
      providerID: node.spec?.providerID,
      // Plain JSON taints, so a merge patch carries them back exactly as they were.
      taints: (node.spec?.taints ?? []).map((t) => ({
        key: t.key,
        effect: t.effect,
        ...(t.value !== undefined ? { value: t.value } : {}),
        ...(t.timeAdded ? { timeAdded: new Date(t.timeAdded).toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
      })),
    },
  };
}

export async function listNodeEniObjects(clients: KubeClients): Promise<NodeEniObject[]> {
  const list = (await clients.custom.listClusterCustomObject(crd)) as { items?: NodeEniObject[] };
  return list.items ?? [];
}

export async function getNodeEniObject(clients: KubeClients, name: string): Promise<NodeEniObject | undefined> {
  return (await orNotFound(clients.custom.getClusterCustomObject({ ...crd, name }))) as NodeEniObject | undefined;
}

export async function replaceNodeEniStatus(clients: KubeClients, obj: NodeEniObject): Promise<void> {
  await conflictAware(`NodeENI ${obj.metadata.name} status`, clients.custom.replaceClusterCustomObjectStatus({ ...crd, name: obj.metadata.name, body: obj }));
}

export async function patchNodeEni(clients: KubeClients, name: string, patch: Record<string, unknown>): Promise<void> {
  await conflictAware(`NodeENI ${name}`, clients.custom.patchClusterCustomObject({ ...crd, name, body: patch }, mergePatch()));
}

let eventSeq = 0;

/** A core/v1 Event (what `kubectl describe` shows); cluster-scoped objects' Events live in "default". */
export async function createEvent(clients: KubeClients, event: EventSpec, component: string, instance: string): Promise<void> {
  const now = new Date();
  const base = `${event.involved.name}.${now.getTime().toString(16)}${(eventSeq++ % 4096).toString(16)}`;
  const body: CoreV1Event = {
    metadata: { name: base.slice(0, 253), namespace: 'default' },
    involvedObject: { apiVersion: event.involved.apiVersion, kind: event.involved.kind, name: event.involved.name, uid: event.involved.uid },
    reason: event.reason,
    message: event.message.slice(0, 1024),
    type: event.type,
    source: { component },
    reportingComponent: `eniflow.io/${component}`,
    reportingInstance: instance.slice(0, 128),
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
  await clients.core.createNamespacedEvent({ namespace: 'default', body });
}

/** The status publisher's API on client-node (nodeenis get/list, nodeenis/status update, nodes get/patch, events create). */
export function kubeStatusApi(clients: KubeClients, instance: string): KubeStatusApi {
  return {
    getNodeEni: (name) => getNodeEniObject(clients, name),
    listNodeEnis: () => listNodeEniObjects(clients),
    replaceNodeEniStatus: (obj) => replaceNodeEniStatus(clients, obj),
    getNode: async (name) => {
      const node = await orNotFound(clients.core.readNode({ name }));
      return node ? toNodeView(node) : undefined;
    },
    patchNode: async (name, patch) => {
      await conflictAware(`node ${name}`, clients.core.patchNode({ name, body: patch }, mergePatch()));
    },
    createEvent: (event) => createEvent(clients, event, 'eniflow-central-worker', instance),
  };
}
