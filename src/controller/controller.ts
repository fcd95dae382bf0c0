// The controller's wiring: informers → (debounced) plan → actions on Temporal and the API server.
// Decisions live in plan.ts (pure); this module only gathers the snapshot and carries them out.
import type { V1Node } from '@kubernetes/client-node';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { startOffboarding, startOnboarding } from '../cli/workflowClient';
import { selectorMatches } from '../config/nodeEni';
import { parseProviderId } from '../domain/providerId';
import { onboardWorkflowId, type HopLimitSettings } from '../workflows/definitions';
import { createEvent, getNodeEniObject, mergePatch, patchNodeEni, replaceNodeEniStatus, toNodeView, type KubeClients } from '../k8s/client';
import { watchNodesAndNodeEnis } from '../k8s/informers';
import { DEGRADED_CONDITION } from '../k8s/nodeEniStatus';
import { ENIS_ANNOTATION, finishStatus, KubeConflictError, setCondition, STARTUP_TAINT_KEY, type NodeEniObject } from '../k8s/statusPublisher';
import type { ControllerConfig } from './config';
import {
  emptyMemory,
  NODE_ENI_FINALIZER,
  noteOffboardCompleted,
  noteOffboardStarted,
  noteOnboardSent,
  offboardKey,
  plan,
  type Action,
  type NodeEniView,
  type NodeView,
} from './plan';

export interface ControllerDeps {
  clients: KubeClients;
  temporal: Client;
  config: ControllerConfig;
  imds: HopLimitSettings;
  log?: (line: Record<string, unknown>) => void;
}

const NODE_ENI_API_VERSION = 'networking.k8s.aws/v1alpha1';

export function nodeViewOf(node: V1Node): NodeView {
  const view = toNodeView(node);
  return {
    name: view.metadata.name,
    labels: view.metadata.labels ?? {},
    providerID: view.spec?.providerID,
    deleting: Boolean(view.metadata.deletionTimestamp),
    hasStartupTaint: (view.spec?.taints ?? []).some((t) => t.key === STARTUP_TAINT_KEY),
    hasEnisAnnotation: Boolean(view.metadata.annotations?.[ENIS_ANNOTATION]),
  };
}

export function nodeEniViewOf(obj: NodeEniObject): NodeEniView {
  return {
    name: obj.metadata.name,
    generation: obj.metadata.generation ?? 0,
    spec: obj.spec,
    deleting: Boolean(obj.metadata.deletionTimestamp),
    finalizers: obj.metadata.finalizers ?? [],
    attachmentNodes: [...new Set((obj.status?.attachments ?? []).map((a) => a.nodeID))],
  };
}

/** Runs until `signal` aborts; resolves after the watches stopped. */
export async function runController(deps: ControllerDeps, signal: AbortSignal): Promise<void> {
  const { clients, temporal, config } = deps;
  const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));
  const memory = emptyMemory();
  const awaitingLogged = new Map<string, string>();

  let scheduled: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let resyncDue = false;

  const schedule = (resync = false) => {
    if (signal.aborted) return;
    if (resync) resyncDue = true;
    if (running) {
      again = true;
      return;
    }
    if (scheduled) return;
    // A short debounce: a burst of events (an initial list, a label change on many nodes) is one pass.
    scheduled = setTimeout(() => {
      scheduled = undefined;
      running = reconcile()
        .catch((err) => log({ msg: 'reconcile failed; retrying', error: (err as Error).message }))
        .finally(() => {
          running = undefined;
          if (again) {
            again = false;
            schedule();
          }
        });
    }, 100);
  };

  const watches = await watchNodesAndNodeEnis(clients, () => schedule(), log);
  const resyncTimer = setInterval(() => schedule(true), config.reconcilePeriodMs);
  // Anything that failed in a pass is retried soon, without waiting for the full resync period.
  let retryTimer: NodeJS.Timeout | undefined;

  async function reconcile(): Promise<void> {
    if (!watches.nodes.synced() || !watches.nodeEnis.synced()) {
      log({ msg: 'waiting for the first list of nodes and NodeENIs' });
      retryTimer = setTimeout(() => schedule(), 1000);
      return;
    }
    const resync = resyncDue;
    resyncDue = false;
    const nodes = watches.nodes.cache.list().map((n) => nodeViewOf(n as V1Node));
    const nodeEnis = (watches.nodeEnis.cache.list() as unknown as NodeEniObject[]).map(nodeEniViewOf);
    for (const n of nodes) {
      const where = n.providerID ? parseProviderId(n.providerID) : undefined;
      if (where) memory.regions.set(n.name, where.region);
    }
    const actions = plan(nodes, nodeEnis, memory, { resync, startupTaint: config.startupTaint, fallbackRegion: config.fallbackRegion });
    let failures = 0;
    for (const action of actions) {
      try {
        await execute(action);
      } catch (err) {
        failures++;
        log({ msg: 'action failed', action: describe(action), error: (err as Error).message });
      }
    }
    try {
      await updateMatchedNodes(nodes, nodeEnis);
    } catch (err) {
      failures++;
      log({ msg: 'updating matchedNodes failed', error: (err as Error).message });
    }
    if (failures > 0) retryTimer = setTimeout(() => schedule(), 5000);
  }

  async function execute(action: Action): Promise<void> {
    switch (action.kind) {
      case 'addFinalizer':
        await editNodeEni(action.nodeEni, (obj) =>
          obj.metadata.deletionTimestamp || obj.metadata.finalizers?.includes(NODE_ENI_FINALIZER) ? undefined : [...(obj.metadata.finalizers ?? []), NODE_ENI_FINALIZER],
        );
        log({ msg: 'finalizer added', nodeEni: action.nodeEni });
        return;
      case 'releaseFinalizer':
        await editNodeEni(action.nodeEni, (obj) =>
          obj.metadata.finalizers?.includes(NODE_ENI_FINALIZER) ? obj.metadata.finalizers.filter((f) => f !== NODE_ENI_FINALIZER) : undefined,
        );
        log({ msg: 'NodeENI cleaned up; finalizer released', nodeEni: action.nodeEni });
        return;
      case 'reportInvalid': {
        await editStatus(action.nodeEni, (obj) => ({
          ...(obj.status ?? {}),
          conditions: setCondition(obj.status?.conditions ?? [], { type: DEGRADED_CONDITION, status: 'True', reason: 'InvalidSpec', message: action.message, observedGeneration: action.generation }, nowIso()),
        }));
        const obj = await getNodeEniObject(clients, action.nodeEni);
        await createEvent(clients, { involved: { kind: 'NodeENI', name: action.nodeEni, uid: obj?.metadata.uid, apiVersion: NODE_ENI_API_VERSION }, type: 'Warning', reason: 'InvalidSpec', message: action.message }, 'eniflow-controller', config.identity);
        memory.reportedInvalid.set(action.nodeEni, `${action.generation}:${action.message}`);
        log({ msg: 'invalid NodeENI', nodeEni: action.nodeEni, error: action.message });
        return;
      }
      case 'onboard': {
        const handle = await startOnboarding(temporal, {
          nodeName: action.node,
          cluster: config.cluster,
          providerID: action.providerID,
          policies: action.policies,
          imds: deps.imds,
        });
        noteOnboardSent(memory, action.node, action.policies, action.fingerprint, parseProviderId(action.providerID)?.region);
        log({ msg: 'desired state sent', node: action.node, nodeEnis: action.policies.map((p) => p.name), workflowId: handle.workflowId });
        return;
      }
      case 'offboard': {
        if (action.nodeEni && action.stopOnboarding) await stopOnboarding(action.node);
        const handle = await startOffboarding(temporal, { nodeName: action.node, cluster: config.cluster, region: action.region, nodeEniName: action.nodeEni, reason: action.reason });
        noteOffboardStarted(memory, action.node, action.nodeEni);
        log({ msg: 'offboarding started', node: action.node, nodeEni: action.nodeEni ?? '*', reason: action.reason, workflowId: handle.workflowId });
        handle
          .result()
          .then(() => {
            noteOffboardCompleted(memory, action.node, action.nodeEni);
            log({ msg: 'offboarding completed', node: action.node, nodeEni: action.nodeEni ?? '*' });
          })
          .catch((err: Error) => {
            // Started again by the next pass (the workflow itself retries for ever; this is a termination or a cancel).
            memory.offboards.delete(offboardKey(action.node, action.nodeEni));
            log({ msg: 'offboarding did not complete', node: action.node, nodeEni: action.nodeEni ?? '*', error: err.message });
          })
          .finally(() => schedule());
        return;
      }
      case 'cannotOffboard': {
        const key = `cannot:${action.node}`;
        if (awaitingLogged.get(key) !== action.detail) log({ msg: 'cannot offboard', node: action.node, detail: action.detail });
        awaitingLogged.set(key, action.detail);
        return;
      }
      case 'awaitCleanup': {
        const detail = action.pendingNodes.join(',');
        if (awaitingLogged.get(action.nodeEni) !== detail) log({ msg: 'NodeENI deletion waits for offboarding', nodeEni: action.nodeEni, pendingNodes: action.pendingNodes });
        awaitingLogged.set(action.nodeEni, detail);
        return;
      }
      case 'taint': {
        const node = await clients.core.readNode({ name: action.node });
        const view = toNodeView(node);
        if (!(view.spec?.taints ?? []).some((t) => t.key === STARTUP_TAINT_KEY)) {
          const taints = [...(view.spec?.taints ?? []), { key: STARTUP_TAINT_KEY, value: 'true', effect: 'NoSchedule' }];
          await clients.core.patchNode({ name: action.node, body: { metadata: { resourceVersion: view.metadata.resourceVersion }, spec: { taints } } }, mergePatch());
        }
        memory.tainted.add(action.node);
        return;
      }
    }
  }

  /** A node with no NodeENI left: its running onboarding must not attach anything behind the cleanup. */
  async function stopOnboarding(nodeName: string): Promise<void> {
    const handle = temporal.workflow.getHandle(onboardWorkflowId(nodeName));
    try {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') return;
      await handle.cancel();
      await handle.result().catch(() => undefined);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  /** Read-modify-write of metadata.finalizers, guarded by resourceVersion. */
  async function editNodeEni(name: string, finalizers: (obj: NodeEniObject) => string[] | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const obj = await getNodeEniObject(clients, name);
      if (!obj) return;
      const next = finalizers(obj);
      if (!next) return;
      try {
        await patchNodeEni(clients, name, { metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers: next } });
        return;
      } catch (err) {
        if (!(err instanceof KubeConflictError) || attempt >= 8) throw err;
      }
    }
  }

  async function editStatus(name: string, change: (obj: NodeEniObject) => NodeEniObject['status'] | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const obj = await getNodeEniObject(clients, name);
      if (!obj) return;
      const status = change(obj);
      if (!status || JSON.stringify(status) === JSON.stringify(obj.status ?? {})) return;
      try {
        await replaceNodeEniStatus(clients, { ...obj, status });
        return;
      } catch (err) {
        if (!(err instanceof KubeConflictError) || attempt >= 8) throw err;
      }
    }
  }

  /** status.matchedNodes (and so Ready) follows the nodes the selector matches: only the controller watches nodes. */
  async function updateMatchedNodes(nodes: NodeView[], nodeEnis: NodeEniView[]): Promise<void> {
    const cached = new Map((watches.nodeEnis.cache.list() as unknown as NodeEniObject[]).map((o) => [o.metadata.name, o]));
    for (const ne of nodeEnis) {
      if (ne.deleting) continue;
      const selector = (ne.spec as { nodeSelector?: Record<string, string> } | undefined)?.nodeSelector;
      if (!selector || typeof selector !== 'object') continue;
      const matched = nodes.filter((n) => !n.deleting && n.providerID && selectorMatches(selector, n.labels)).length;
      if (cached.get(ne.name)?.status?.matchedNodes === matched) continue;
      await editStatus(ne.name, (obj) => finishStatus({ ...(obj.status ?? {}), matchedNodes: matched }, obj.metadata.generation, nowIso()));
    }
  }

  try {
    schedule(true);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    clearInterval(resyncTimer);
    if (scheduled) clearTimeout(scheduled);
    if (retryTimer) clearTimeout(retryTimer);
    await running;
    await watches.nodes.stop();
    await watches.nodeEnis.stop();
  }
}

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describe(action: Action): string {
  switch (action.kind) {
    case 'onboard':
      return `onboard ${action.node}`;
    case 'offboard':
      return `offboard ${action.node}/${action.nodeEni ?? '*'}`;
    case 'cannotOffboard':
    case 'taint':
      return `${action.kind} ${action.node}`;
    default:
      return `${action.kind} ${action.nodeEni}`;
  }
}

