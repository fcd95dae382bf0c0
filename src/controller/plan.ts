// The controller's decisions, as a pure function of what the cluster holds and what the controller
// already did: which nodes get a new desired state, which ENIs are offboarded, which finalizers are
// added or released. Level-triggered: every event and every resync recomputes the whole plan, so a
// missed event or a restart cannot leave drift behind.
import { InvalidNodeEniError, parseNodeEniSpec, selectorMatches, type NodeEniPolicy } from '../config/nodeEni';
import { parseProviderId } from '../domain/providerId';

import { NODE_ENI_FINALIZER } from '../k8s/nodeEniStatus';

export { NODE_ENI_FINALIZER };

/** What the controller needs of a Node. */
export interface NodeView {
  name: string;
  labels: Record<string, string>;
  providerID?: string;
  deleting: boolean;
  hasStartupTaint: boolean;
  hasEnisAnnotation: boolean;
}

/** What the controller needs of a NodeENI. */
export interface NodeEniView {
  name: string;
  generation: number;
  spec: unknown;
  deleting: boolean;
  finalizers: string[];
  /** Nodes named in status.attachments: the durable record of where its ENIs are. */
  attachmentNodes: string[];
}

/** What this controller did so far (lost on restart; the status record and a resync cover that). */
export interface ControllerMemory {
  /** node → fingerprint of the desired state last handed to its onboarding. */
  sent: Map<string, string>;
  /** node → NodeENIs in the desired state last sent. */
  matched: Map<string, Set<string>>;
  /** node → region, from the last providerID seen (a deleted node's object is gone). */
  regions: Map<string, string>;
  /** Offboardings started (key: offboardKey) → whether they completed. */
  offboards: Map<string, 'running' | 'completed'>;
  /** Invalid NodeENIs already reported: name → "generation:message". */
  reportedInvalid: Map<string, string>;
  /** Nodes tainted by this controller (so it does not taint again after the workflow removed it). */
  tainted: Set<string>;
}

export function emptyMemory(): ControllerMemory {
  return { sent: new Map(), matched: new Map(), regions: new Map(), offboards: new Map(), reportedInvalid: new Map(), tainted: new Set() };
}

/** Whole-node offboardings use '*' as their scope. */
export function offboardKey(nodeName: string, nodeEniName?: string): string {
  return `${nodeName}/${nodeEniName ?? '*'}`;
}

export type Action =
  | { kind: 'addFinalizer'; nodeEni: string }
  | { kind: 'reportInvalid'; nodeEni: string; generation: number; message: string }
  | { kind: 'onboard'; node: string; providerID: string; policies: NodeEniPolicy[]; fingerprint: string }
  | {
      kind: 'offboard';
      node: string;
      region: string;
      nodeEni?: string;
      reason: string;
      /** The node has no NodeENI left: stop its onboarding first, so nothing is attached behind the cleanup. */
      stopOnboarding: boolean;
    }
  | { kind: 'cannotOffboard'; node: string; nodeEni?: string; detail: string }
  | { kind: 'taint'; node: string }
  | { kind: 'releaseFinalizer'; nodeEni: string }
  | { kind: 'awaitCleanup'; nodeEni: string; pendingNodes: string[] };

export interface PlanOptions {
  /** A periodic resync: send every node's desired state again and repeat finished offboardings whose ENIs are still recorded. */
  resync: boolean;
  startupTaint: boolean;
  fallbackRegion?: string;
}

/** Policies in a stable order, so the same set always has the same fingerprint. */
export function fingerprint(policies: NodeEniPolicy[]): string {
  return JSON.stringify([...policies].sort((a, b) => a.name.localeCompare(b.name)));
}

export function plan(nodes: NodeView[], nodeEnis: NodeEniView[], memory: ControllerMemory, options: PlanOptions): Action[] {
  const actions: Action[] = [];
  const valid: NodeEniPolicy[] = [];
  // Selectors of NodeENIs being deleted: the nodes they still match need their ENIs offboarded.
  const deletingSelectors = new Map<string, Record<string, string> | undefined>();

  for (const ne of nodeEnis) {
    let spec: NodeEniPolicy['spec'] | undefined;
    try {
      spec = parseNodeEniSpec(ne.name, ne.spec);
    } catch (err) {
      if (!(err instanceof InvalidNodeEniError)) throw err;
      const key = `${ne.generation}:${err.message}`;
      if (!ne.deleting && memory.reportedInvalid.get(ne.name) !== key) {
        actions.push({ kind: 'reportInvalid', nodeEni: ne.name, generation: ne.generation, message: err.message });
      }
    }
    if (ne.deleting) {
      deletingSelectors.set(ne.name, spec?.nodeSelector ?? rawSelector(ne.spec));
      continue;
    }
    // Even an invalid NodeENI gets the finalizer: it may have had ENIs under an earlier, valid spec.
    if (!ne.finalizers.includes(NODE_ENI_FINALIZER)) actions.push({ kind: 'addFinalizer', nodeEni: ne.name });
    if (spec) valid.push({ name: ne.name, spec });
  }

  const liveNodes = new Map(nodes.filter((n) => !n.deleting).map((n) => [n.name, n]));
  const recordedOn = new Map<string, Set<string>>(); // node → NodeENIs whose status lists it
  for (const ne of nodeEnis) {
    for (const node of ne.attachmentNodes) {
      if (!recordedOn.has(node)) recordedOn.set(node, new Set());
      recordedOn.get(node)!.add(ne.name);
    }
  }
  const shouldOffboard = (key: string) => !memory.offboards.has(key) || (options.resync && memory.offboards.get(key) === 'completed');

  // Nodes that exist: send the desired state, offboard NodeENIs that no longer apply.
  for (const node of liveNodes.values()) {
    const where = node.providerID ? parseProviderId(node.providerID) : undefined;
    // The original acts only once a node has its providerID: the instance ID comes from it.
    if (!node.providerID || !where) continue;
    const matching = valid.filter((p) => selectorMatches(p.spec.nodeSelector, node.labels));
    const previously = new Set([...(memory.matched.get(node.name) ?? []), ...(recordedOn.get(node.name) ?? [])]);
    for (const policy of matching) previously.delete(policy.name);

    for (const gone of [...previously].sort()) {
      if (!shouldOffboard(offboardKey(node.name, gone))) continue;
      const ne = nodeEnis.find((n) => n.name === gone);
      const reason = !ne ? `NodeENI ${gone} no longer exists` : ne.deleting ? `NodeENI ${gone} deleted` : `NodeENI ${gone} no longer matches the node's labels`;
      actions.push({ kind: 'offboard', node: node.name, region: where.region, nodeEni: gone, reason, stopOnboarding: matching.length === 0 });
    }

    if (matching.length > 0) {
      const print = fingerprint(matching);
      if (options.resync || memory.sent.get(node.name) !== print) {
        actions.push({ kind: 'onboard', node: node.name, providerID: node.providerID, policies: matching, fingerprint: print });
      }
      if (options.startupTaint && !node.hasEnisAnnotation && !node.hasStartupTaint && !memory.tainted.has(node.name)) {
        actions.push({ kind: 'taint', node: node.name });
      }
    }
  }

  // Nodes that are gone (or going) but still have ENIs on record: offboard the whole node.
  const knownNodes = new Set([...memory.matched.keys(), ...recordedOn.keys(), ...nodes.filter((n) => n.deleting).map((n) => n.name)]);
  for (const name of [...knownNodes].sort()) {
    if (liveNodes.has(name)) continue;
    const hadEnis = (memory.matched.get(name)?.size ?? 0) > 0 || recordedOn.has(name);
    if (!hadEnis || !shouldOffboard(offboardKey(name))) continue;
    const region = memory.regions.get(name) ?? options.fallbackRegion;
    if (!region) {
      actions.push({ kind: 'cannotOffboard', node: name, detail: 'the node is gone and its region is unknown: set AWS_REGION on the controller' });
      continue;
    }
    actions.push({ kind: 'offboard', node: name, region, reason: 'node deleted', stopOnboarding: true });
  }

  // NodeENIs being deleted: the finalizer holds until every node that had (or may have) its ENIs is clean.
  for (const ne of nodeEnis) {
    if (!ne.deleting || !ne.finalizers.includes(NODE_ENI_FINALIZER)) continue;
    const selector = deletingSelectors.get(ne.name);
    const affected = new Set(ne.attachmentNodes);
    for (const [node, names] of memory.matched) if (names.has(ne.name)) affected.add(node);
    // Offboardings of it that this controller started (a node whose status entry is already gone, or never written).
    for (const key of memory.offboards.keys()) if (key.endsWith(`/${ne.name}`)) affected.add(key.slice(0, -ne.name.length - 1));
    if (selector) for (const node of liveNodes.values()) if (node.providerID && selectorMatches(selector, node.labels)) affected.add(node.name);
    const pending = [...affected].sort().filter((node) => {
      const done = memory.offboards.get(offboardKey(node, ne.name)) === 'completed' || (!liveNodes.has(node) && memory.offboards.get(offboardKey(node)) === 'completed');
      return !done;
    });
    // Offboarding complete and nothing left on record: let the deletion finish.
    if (pending.length === 0 && ne.attachmentNodes.length === 0) actions.push({ kind: 'releaseFinalizer', nodeEni: ne.name });
    else {
      // A node the live-node pass did not cover (it matches the selector but was never onboarded by this controller).
      for (const node of pending) {
        const live = liveNodes.get(node);
        const covered = actions.some((a) => a.kind === 'offboard' && a.node === node && (a.nodeEni === ne.name || a.nodeEni === undefined));
        if (covered || !shouldOffboard(offboardKey(node, ne.name))) continue;
        const where = live?.providerID ? parseProviderId(live.providerID) : undefined;
        if (live && where) {
          const othersMatch = valid.some((p) => selectorMatches(p.spec.nodeSelector, live.labels));
          actions.push({ kind: 'offboard', node, region: where.region, nodeEni: ne.name, reason: `NodeENI ${ne.name} deleted`, stopOnboarding: !othersMatch });
        }
      }
      actions.push({ kind: 'awaitCleanup', nodeEni: ne.name, pendingNodes: pending.length ? pending : ['(status still lists attachments)'] });
    }
  }
  return actions;
}

/** The selector of a NodeENI whose spec no longer validates, when it still has one. */
function rawSelector(spec: unknown): Record<string, string> | undefined {
  const selector = (spec as { nodeSelector?: unknown } | undefined)?.nodeSelector;
  if (!selector || typeof selector !== 'object') return undefined;
  const entries = Object.entries(selector as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');
  return Object.fromEntries(entries);
}

// How the executor records what it did, so the next plan does not repeat it.

export function noteOnboardSent(memory: ControllerMemory, node: string, policies: NodeEniPolicy[], print: string, region?: string): void {
  memory.sent.set(node, print);
  memory.matched.set(node, new Set(policies.map((p) => p.name)));
  if (region) memory.regions.set(node, region);
  // Matching again: a later mismatch must offboard again.
  for (const p of policies) memory.offboards.delete(offboardKey(node, p.name));
  memory.offboards.delete(offboardKey(node));
}

export function noteOffboardStarted(memory: ControllerMemory, node: string, nodeEni?: string): void {
  memory.offboards.set(offboardKey(node, nodeEni), 'running');
  if (nodeEni) {
    const matched = memory.matched.get(node);
    matched?.delete(nodeEni);
    // Its last NodeENI left: matching again later must send the desired state again.
    if (!matched || matched.size === 0) memory.sent.delete(node);
  } else {
    memory.matched.delete(node);
    memory.sent.delete(node);
  }
}

export function noteOffboardCompleted(memory: ControllerMemory, node: string, nodeEni?: string): void {
  if (memory.offboards.get(offboardKey(node, nodeEni)) === 'running') memory.offboards.set(offboardKey(node, nodeEni), 'completed');
}
