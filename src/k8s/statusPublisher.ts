// The Kubernetes status publisher: where the central worker's publishStatus activity reports a
// node's result. It writes NodeENI status (this node's attachments[] entries, counters, conditions),
// the node's eniflow.io/enis annotation, removes the startup taint once the node is Ready, and
// records Events. The Kubernetes calls sit behind KubeStatusApi, so this module stays pure (no
// @kubernetes/client-node at runtime) and jest can test it; src/k8s/client.ts implements the API.
import { selectorMatches } from '../config/nodeEni';
import type { NodeStatusReport, StatusPublisher } from '../activities/status';
import type { EniProgress } from '../workflows/definitions';
import {
  DEGRADED_CONDITION,
  READY_CONDITION,
  type NodeEniAttachment,
  type NodeEniCondition,
  type NodeEniStatus,
} from './nodeEniStatus';

export const ENIS_ANNOTATION = 'eniflow.io/enis';
export const STARTUP_TAINT_KEY = 'eniflow.io/network-unavailable';

export interface ObjectMeta {
  name: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  finalizers?: string[];
}

export interface NodeEniObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { nodeSelector?: Record<string, string> } & Record<string, unknown>;
  status?: NodeEniStatus;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface NodeObject {
  metadata: ObjectMeta;
  spec?: { providerID?: string; taints?: Taint[] };
}

export interface EventSpec {
  involved: { kind: 'NodeENI' | 'Node'; name: string; uid?: string; apiVersion: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** A write lost a race (HTTP 409): read again and retry. */
export class KubeConflictError extends Error {
  constructor(what: string) {
    super(`conflict writing ${what}`);
    this.name = 'KubeConflictError';
  }
}

/** The Kubernetes calls the publisher makes (least privilege: nodeenis get/list, nodeenis/status update, nodes get/patch, events create). */
export interface KubeStatusApi {
  getNodeEni(name: string): Promise<NodeEniObject | undefined>;
  listNodeEnis(): Promise<NodeEniObject[]>;
  /** Replaces status through the status subresource; the object's resourceVersion guards it (KubeConflictError). */
  replaceNodeEniStatus(obj: NodeEniObject): Promise<void>;
  getNode(name: string): Promise<NodeObject | undefined>;
  /** JSON merge patch; a metadata.resourceVersion in the patch guards it (KubeConflictError). */
  patchNode(name: string, patch: Record<string, unknown>): Promise<void>;
  createEvent(event: EventSpec): Promise<void>;
}

/** One entry of the node annotation eniflow.io/enis. */
export interface NodeEniAnnotationEntry {
  nodeENI: string;
  eniID: string;
  deviceIndex: number;
  interfaceName?: string;
  macAddress?: string;
  mtu?: number;
  subnetID: string;
}

// ---------------------------------------------------------------------------------------------
// Pure parts

/** The original's attachment status words. */
export function attachmentStatus(status: EniProgress['status']): string {
  switch (status) {
    case 'attached':
    case 'configured':
      return 'attached';
    case 'failed':
      return 'failed';
    case 'released':
      return 'detached';
    default:
      return 'attaching';
  }
}

/** This node's entries for one NodeENI from a report; unchanged entries keep their lastUpdated, so a repeat report writes nothing. */
export function entriesFor(report: NodeStatusReport, nodeEniName: string, previous: NodeEniAttachment[], now: string): NodeEniAttachment[] {
  return report.enis
    .filter((e) => e.nodeEniName === nodeEniName && e.status !== 'released')
    .map((e) => {
      const entry: NodeEniAttachment = stripUndefined({
        nodeID: report.nodeName,
        instanceID: report.instanceId,
        eniID: e.eniId,
        attachmentID: e.attachmentId,
        subnetID: e.subnetId,
        subnetCIDR: e.subnetCidr,
        mtu: e.mtu,
        deviceIndex: e.deviceIndex,
        status: attachmentStatus(e.status),
        macAddress: e.mac,
        interfaceName: e.interfaceName,
        privateIPAddress: e.privateIpAddress,
      });
      const before = previous.find((p) => p.nodeID === report.nodeName && p.subnetID === e.subnetId && p.deviceIndex === e.deviceIndex);
      const same = before && JSON.stringify({ ...before, lastUpdated: undefined }) === JSON.stringify({ ...entry, lastUpdated: undefined });
      return { ...entry, lastUpdated: same && before.lastUpdated ? before.lastUpdated : now };
    });
}

/** Replace one node's entries, keep every other node's, in a stable order (node, device index). */
export function mergeAttachments(current: NodeEniAttachment[], nodeName: string, replacement: NodeEniAttachment[]): NodeEniAttachment[] {
  return [...current.filter((a) => a.nodeID !== nodeName), ...replacement].sort(
    (a, b) => a.nodeID.localeCompare(b.nodeID) || (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0),
  );
}

/** Sets a condition; lastTransitionTime moves only when the status does (metav1.Condition semantics). */
export function setCondition(conditions: NodeEniCondition[], next: Omit<NodeEniCondition, 'lastTransitionTime'>, now: string): NodeEniCondition[] {
  const before = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = before && before.status === next.status ? before.lastTransitionTime : now;
  const updated: NodeEniCondition = stripUndefined({ ...next, lastTransitionTime });
  return [...conditions.filter((c) => c.type !== next.type), updated].sort((a, b) => a.type.localeCompare(b.type));
}

/**
 * Ready: every node the selector matches has its ENIs attached. The controller keeps matchedNodes
 * (it watches the nodes); the publisher does not need to list nodes for it.
 */
export function readyCondition(status: NodeEniStatus, generation?: number): Omit<NodeEniCondition, 'lastTransitionTime'> {
  const attachments = status.attachments ?? [];
  const nodes = new Set(attachments.map((a) => a.nodeID));
  const failedNodes = new Set(attachments.filter((a) => a.status !== 'attached').map((a) => a.nodeID));
  const readyNodes = [...nodes].filter((n) => !failedNodes.has(n)).length;
  const matched = status.matchedNodes;
  const base = { type: READY_CONDITION, observedGeneration: generation };
  if (matched === undefined) {
    return { ...base, status: 'Unknown', reason: 'MatchingUnknown', message: `${readyNodes} nodes have their ENIs; the controller has not counted the matching nodes yet` };
  }
  if (matched === 0) return { ...base, status: 'False', reason: 'NoMatchingNodes', message: 'no node matches spec.nodeSelector' };
  if (readyNodes >= matched && failedNodes.size === 0) {
    return { ...base, status: 'True', reason: 'AllNodesAttached', message: `${readyNodes}/${matched} matching nodes have their ENIs attached` };
  }
  return { ...base, status: 'False', reason: 'NodesPending', message: `${readyNodes}/${matched} matching nodes have their ENIs attached` };
}

/** Status with the counters and Ready recomputed from attachments (and Degraded passed through). */
export function finishStatus(status: NodeEniStatus, generation: number | undefined, now: string): NodeEniStatus {
  const attachments = status.attachments ?? [];
  const withCounts: NodeEniStatus = { ...status, attachments, attachedENIs: attachments.filter((a) => a.status === 'attached').length };
  return { ...withCounts, conditions: setCondition(status.conditions ?? [], readyCondition(withCounts, generation), now) };
}

export interface StatusChange {
  status: NodeEniStatus;
  events: Array<Omit<EventSpec, 'involved'>>;
}

/** How one report changes one NodeENI's status, and which Events that is worth. */
export function applyReport(obj: NodeEniObject, report: NodeStatusReport, now: string): StatusChange {
  const name = obj.metadata.name;
  const current = obj.status ?? {};
  const previous = current.attachments ?? [];
  const mine = previous.filter((a) => a.nodeID === report.nodeName);
  const events: StatusChange['events'] = [];
  let conditions = current.conditions ?? [];
  let attachments: NodeEniAttachment[];

  if (report.phase === 'Offboarded') {
    attachments = mergeAttachments(previous, report.nodeName, []);
    const released = new Set(report.releasedEniIds ?? []);
    for (const entry of mine) {
      if (!entry.eniID || (report.releasedEniIds && !released.has(entry.eniID))) continue;
      events.push({ type: 'Normal', reason: 'ENIDetached', message: `Detached ENI ${entry.eniID} from node ${report.nodeName}` });
      events.push({ type: 'Normal', reason: 'ENIDeleted', message: `Deleted ENI ${entry.eniID} (node ${report.nodeName})` });
    }
    const degraded = conditions.find((c) => c.type === DEGRADED_CONDITION);
    if (degraded?.status === 'True' && degraded.message?.startsWith(`node ${report.nodeName}:`)) {
      conditions = setCondition(conditions, { type: DEGRADED_CONDITION, status: 'False', reason: 'NodeOffboarded', message: `node ${report.nodeName} was offboarded` }, now);
    }
  } else {
    const entries = entriesFor(report, name, previous, now);
    // A failed run keeps the entries it could not refresh: ENIs it did not reach still exist.
    const replacement = report.phase === 'Failed' && entries.length === 0 ? mine : entries;
    attachments = mergeAttachments(previous, report.nodeName, replacement);
    const known = new Set(mine.filter((a) => a.status === 'attached').map((a) => a.eniID));
    for (const entry of replacement) {
      if (entry.status === 'attached' && entry.eniID && !known.has(entry.eniID)) {
        events.push({ type: 'Normal', reason: 'ENIAttached', message: `Attached ENI ${entry.eniID} to node ${report.nodeName} at device index ${entry.deviceIndex}${entry.interfaceName ? ` (${entry.interfaceName})` : ''}` });
      }
    }
    if (report.phase === 'Failed') {
      const mineInReport = report.enis.filter((e) => e.nodeEniName === name);
      const reason = mineInReport.some((e) => !e.eniId) ? 'ENICreationFailed' : mineInReport.length ? 'ENIAttachmentFailed' : 'OnboardingFailed';
      const message = `node ${report.nodeName}: ${report.error ?? 'onboarding failed'}`;
      events.push({ type: 'Warning', reason, message });
      conditions = setCondition(conditions, { type: DEGRADED_CONDITION, status: 'True', reason, message }, now);
    } else {
      const degraded = conditions.find((c) => c.type === DEGRADED_CONDITION);
      if (!degraded || (degraded.status === 'True' && degraded.message?.startsWith(`node ${report.nodeName}:`))) {
        conditions = setCondition(conditions, { type: DEGRADED_CONDITION, status: 'False', reason: 'NoErrors', message: '' }, now);
      }
    }
  }
  return { status: finishStatus({ ...current, attachments, conditions }, obj.metadata.generation, now), events };
}

/** Events about the node itself, from the report's warnings (hop-limit configuration). */
export function nodeEvents(report: NodeStatusReport): Array<Omit<EventSpec, 'involved'>> {
  if (report.phase === 'Offboarded') return [];
  return report.warnings
    .filter((w) => /hop limit/i.test(w))
    .map((w) => ({ type: 'Warning' as const, reason: 'HopLimitConfigFailed', message: w }));
}

/** The node's annotation after this report (null removes it). */
export function annotationAfter(report: NodeStatusReport, currentJson: string | undefined): string | null {
  let current: NodeEniAnnotationEntry[];
  try {
    current = currentJson ? (JSON.parse(currentJson) as NodeEniAnnotationEntry[]) : [];
  } catch {
    current = []; // someone wrote garbage: this report's view replaces it
  }
  let next: NodeEniAnnotationEntry[];
  if (report.phase === 'Offboarded') {
    next = report.nodeEniName ? current.filter((e) => e.nodeENI !== report.nodeEniName) : [];
  } else if (report.phase === 'Failed') {
    return currentJson ?? null; // a failed run's partial view would hide ENIs that are still there
  } else {
    next = report.enis
      .filter((e) => e.eniId && e.status !== 'released')
      .map((e) => stripUndefined({ nodeENI: e.nodeEniName, eniID: e.eniId!, deviceIndex: e.deviceIndex, interfaceName: e.interfaceName, macAddress: e.mac, mtu: e.mtu, subnetID: e.subnetId }))
      .sort((a, b) => a.deviceIndex - b.deviceIndex);
  }
  return next.length ? JSON.stringify(next) : null;
}

/** The merge patch for the node (annotation, startup taint), or undefined when nothing changes. */
export function nodePatch(node: NodeObject, report: NodeStatusReport): Record<string, unknown> | undefined {
  const currentJson = node.metadata.annotations?.[ENIS_ANNOTATION];
  const annotation = annotationAfter(report, currentJson);
  const taints = node.spec?.taints ?? [];
  const removeTaint = report.phase === 'Ready' && taints.some((t) => t.key === STARTUP_TAINT_KEY);
  if (annotation === (currentJson ?? null) && !removeTaint) return undefined;
  const patch: Record<string, unknown> = {
    // The resourceVersion makes the merge patch conditional: a concurrent taint change is not overwritten.
    metadata: { resourceVersion: node.metadata.resourceVersion, annotations: { [ENIS_ANNOTATION]: annotation } },
  };
  if (removeTaint) patch.spec = { taints: taints.filter((t) => t.key !== STARTUP_TAINT_KEY) };
  return patch;
}

/** NodeENIs a report concerns: those it names, those whose selector matches the node, and those listing the node. */
export function affectedNodeEnis(all: NodeEniObject[], report: NodeStatusReport, nodeLabels: Record<string, string> | undefined): NodeEniObject[] {
  if (report.phase === 'Offboarded') {
    if (report.nodeEniName) return all.filter((o) => o.metadata.name === report.nodeEniName);
    return all.filter((o) => (o.status?.attachments ?? []).some((a) => a.nodeID === report.nodeName));
  }
  const named = new Set(report.enis.map((e) => e.nodeEniName));
  return all.filter(
    (o) =>
      named.has(o.metadata.name) ||
      (nodeLabels !== undefined && !o.metadata.deletionTimestamp && o.spec?.nodeSelector !== undefined && selectorMatches(o.spec.nodeSelector, nodeLabels)),
  );
}

function stripUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

// ---------------------------------------------------------------------------------------------
// The publisher

export interface KubeStatusPublisherOptions {
  now?: () => Date;
  /** Attempts per write when another writer raced us (HTTP 409). */
  conflictAttempts?: number;
  log?: (line: Record<string, unknown>) => void;
}

export function createKubeStatusPublisher(api: KubeStatusApi, options: KubeStatusPublisherOptions = {}): StatusPublisher {
  const now = () => (options.now ?? (() => new Date()))().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const attempts = options.conflictAttempts ?? 8;
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));

  async function retryConflicts(what: string, write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (!(err instanceof KubeConflictError) || attempt >= attempts) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
        log({ msg: 'status write conflict, retrying', what, attempt });
      }
    }
  }

  return {
    async publish(report) {
      const node = await api.getNode(report.nodeName);
      const all = await api.listNodeEnis();
      const targets = affectedNodeEnis(all, report, node?.metadata.labels);

      for (const target of targets) {
        const name = target.metadata.name;
        let events: StatusChange['events'] = [];
        let uid = target.metadata.uid;
        await retryConflicts(`NodeENI ${name} status`, async () => {
          const fresh = await api.getNodeEni(name);
          if (!fresh) {
            events = [];
            return; // deleted meanwhile: nothing to record on
          }
          uid = fresh.metadata.uid;
          const change = applyReport(fresh, report, now());
          events = change.events;
          if (JSON.stringify(change.status) === JSON.stringify(fresh.status ?? {})) return;
          await api.replaceNodeEniStatus({ ...fresh, status: change.status });
        });
        for (const event of events) {
          await api.createEvent({ ...event, involved: { kind: 'NodeENI', name, uid, apiVersion: 'networking.k8s.aws/v1alpha1' } });
        }
      }

      if (node) {
        await retryConflicts(`node ${report.nodeName}`, async () => {
          const fresh = await api.getNode(report.nodeName);
          if (!fresh) return;
          const patch = nodePatch(fresh, report);
          if (patch) await api.patchNode(report.nodeName, patch);
        });
        for (const event of nodeEvents(report)) {
          await api.createEvent({ ...event, involved: { kind: 'Node', name: report.nodeName, uid: node.metadata.uid, apiVersion: 'v1' } });
        }
      }
      log({ msg: 'node status published', node: report.nodeName, phase: report.phase, nodeEnis: targets.map((t) => t.metadata.name) });
    },
  };
}
