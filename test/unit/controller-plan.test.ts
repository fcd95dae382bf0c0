// The controller's decisions (pure): which nodes get a desired state, what is offboarded, when the
// finalizer goes. No API server or Temporal here; the e2e test covers the wiring.
import { loadControllerConfig, parseDuration } from '../../src/controller/config';
import {
  emptyMemory,
  NODE_ENI_FINALIZER,
  noteOffboardCompleted,
  noteOffboardStarted,
  noteOnboardSent,
  plan,
  type Action,
  type ControllerMemory,
  type NodeEniView,
  type NodeView,
} from '../../src/controller/plan';
import { leaseDecision } from '../../src/k8s/leaseDecision';

const spec = (selector: Record<string, string>, extra: Record<string, unknown> = {}) => ({ nodeSelector: selector, subnetNames: ['multus-1'], ...extra });
const node = (name: string, labels: Record<string, string>, over: Partial<NodeView> = {}): NodeView => ({
  name,
  labels,
  providerID: `aws:///eu-west-1a/i-0${name.length}23456789abcdef`,
  deleting: false,
  hasStartupTaint: false,
  hasEnisAnnotation: false,
  ...over,
});
const nodeEni = (name: string, s: unknown, over: Partial<NodeEniView> = {}): NodeEniView => ({
  name,
  generation: 1,
  spec: s,
  deleting: false,
  finalizers: [NODE_ENI_FINALIZER],
  attachmentNodes: [],
  ...over,
});
const opts = { resync: false, startupTaint: false };
const kinds = (actions: Action[]) => actions.map((a) => `${a.kind}:${'node' in a ? a.node : ''}${'nodeEni' in a && a.nodeEni ? `/${a.nodeEni}` : ''}`);

/** Applies what the executor would record after carrying out the actions successfully. */
function execute(memory: ControllerMemory, actions: Action[]): void {
  for (const a of actions) {
    if (a.kind === 'onboard') noteOnboardSent(memory, a.node, a.policies, a.fingerprint, 'eu-west-1');
    if (a.kind === 'offboard') noteOffboardStarted(memory, a.node, a.nodeEni);
  }
}

describe('controller plan', () => {
  test('a matching node with a providerID is onboarded with every matching NodeENI, once', () => {
    const memory = emptyMemory();
    const nodes = [node('a', { ng: 'x', zone: '1' }), node('b', { ng: 'y' }), node('c', { ng: 'x' }, { providerID: undefined })];
    const enis = [nodeEni('one', spec({ ng: 'x' })), nodeEni('two', spec({ zone: '1' })), nodeEni('three', spec({ ng: 'z' }))];
    const first = plan(nodes, enis, memory, opts);
    expect(kinds(first)).toEqual(['onboard:a']);
    const onboard = first[0] as Extract<Action, { kind: 'onboard' }>;
    expect(onboard.policies.map((p) => p.name)).toEqual(['one', 'two']);
    expect(onboard.policies[0].spec.deviceIndex).toBe(1); // parsed with defaults
    execute(memory, first);
    expect(plan(nodes, enis, memory, opts)).toEqual([]);
    // The periodic resync sends it again (repairs drift).
    expect(kinds(plan(nodes, enis, memory, { ...opts, resync: true }))).toEqual(['onboard:a']);
  });

  test('a changed NodeENI sends the new desired state to its nodes only', () => {
    const memory = emptyMemory();
    const nodes = [node('a', { ng: 'x' }), node('b', { ng: 'y' })];
    const enis = [nodeEni('one', spec({ ng: 'x' })), nodeEni('two', spec({ ng: 'y' }))];
    execute(memory, plan(nodes, enis, memory, opts));
    const changed = [nodeEni('one', spec({ ng: 'x' }, { mtu: 1500 })), enis[1]];
    const actions = plan(nodes, changed, memory, opts);
    expect(kinds(actions)).toEqual(['onboard:a']);
    expect((actions[0] as Extract<Action, { kind: 'onboard' }>).policies[0].spec.mtu).toBe(1500);
  });

  test('a label change offboards that NodeENI on that node and re-sends the rest', () => {
    const memory = emptyMemory();
    const enis = [nodeEni('one', spec({ ng: 'x' })), nodeEni('two', spec({ team: 'nf' }))];
    execute(memory, plan([node('a', { ng: 'x', team: 'nf' })], enis, memory, opts));
    const actions = plan([node('a', { team: 'nf' })], enis, memory, opts);
    expect(kinds(actions)).toEqual(['offboard:a/one', 'onboard:a']);
    expect(actions[0]).toMatchObject({ region: 'eu-west-1', stopOnboarding: false, reason: expect.stringContaining('no longer matches') });
    execute(memory, actions);
    // Not repeated while it runs, nor after it completed.
    expect(plan([node('a', { team: 'nf' })], enis, memory, opts)).toEqual([]);
    noteOffboardCompleted(memory, 'a', 'one');
    expect(plan([node('a', { team: 'nf' })], enis, memory, opts)).toEqual([]);
  });

  test('the last NodeENI leaving a node stops its onboarding first', () => {
    const memory = emptyMemory();
    const enis = [nodeEni('one', spec({ ng: 'x' }))];
    execute(memory, plan([node('a', { ng: 'x' })], enis, memory, opts));
    const actions = plan([node('a', {})], enis, memory, opts);
    expect(kinds(actions)).toEqual(['offboard:a/one']);
    expect(actions[0]).toMatchObject({ stopOnboarding: true });
  });

  test('a node whose label comes back is onboarded again, and offboarded again when it goes again', () => {
    const memory = emptyMemory();
    const enis = [nodeEni('one', spec({ ng: 'x' }))];
    execute(memory, plan([node('a', { ng: 'x' })], enis, memory, opts));
    execute(memory, plan([node('a', {})], enis, memory, opts));
    noteOffboardCompleted(memory, 'a', 'one');
    const back = plan([node('a', { ng: 'x' })], enis, memory, opts);
    expect(kinds(back)).toEqual(['onboard:a']);
    execute(memory, back);
    expect(kinds(plan([node('a', {})], enis, memory, opts))).toEqual(['offboard:a/one']);
  });

  test('after a restart, status entries of a node that no longer matches still lead to offboarding', () => {
    const enis = [nodeEni('one', spec({ ng: 'x' }), { attachmentNodes: ['a'] })];
    expect(kinds(plan([node('a', {})], enis, emptyMemory(), opts))).toEqual(['offboard:a/one']);
  });

  test('a deleted node is offboarded whole, with the region it had', () => {
    const memory = emptyMemory();
    const enis = [nodeEni('one', spec({ ng: 'x' }))];
    execute(memory, plan([node('a', { ng: 'x' })], enis, memory, opts));
    const actions = plan([], enis, memory, opts);
    expect(actions).toEqual([{ kind: 'offboard', node: 'a', region: 'eu-west-1', reason: 'node deleted', stopOnboarding: true }]);
    execute(memory, actions);
    expect(plan([], enis, memory, opts)).toEqual([]);
  });

  test('a deleted node known only from status needs AWS_REGION', () => {
    const enis = [nodeEni('one', spec({ ng: 'x' }), { attachmentNodes: ['gone'] })];
    expect(kinds(plan([], enis, emptyMemory(), opts))).toEqual(['cannotOffboard:gone']);
    expect(plan([], enis, emptyMemory(), { ...opts, fallbackRegion: 'us-east-1' })).toEqual([
      { kind: 'offboard', node: 'gone', region: 'us-east-1', reason: 'node deleted', stopOnboarding: true },
    ]);
  });

  test('a new NodeENI gets the finalizer; an invalid one is reported once per generation, not onboarded', () => {
    const memory = emptyMemory();
    const enis = [nodeEni('new', spec({ ng: 'x' }), { finalizers: [] }), nodeEni('bad', { nodeSelector: { ng: 'x' } })];
    const actions = plan([node('a', { ng: 'x' })], enis, memory, opts);
    expect(kinds(actions)).toEqual(['addFinalizer:/new', 'reportInvalid:/bad', 'onboard:a']);
    const invalid = actions[1] as Extract<Action, { kind: 'reportInvalid' }>;
    expect(invalid.message).toContain('at least one of subnetID');
    memory.reportedInvalid.set('bad', `1:${invalid.message}`);
    expect(kinds(plan([node('a', { ng: 'x' })], enis, memory, opts))).not.toContain('reportInvalid:/bad');
    enis[1] = { ...enis[1], generation: 2 };
    expect(kinds(plan([node('a', { ng: 'x' })], enis, memory, opts))).toContain('reportInvalid:/bad');
  });

  test('a deleted NodeENI: offboard its nodes; the finalizer goes only when they completed and status is empty', () => {
    const memory = emptyMemory();
    const live = [nodeEni('one', spec({ ng: 'x' })), nodeEni('two', spec({ team: 'nf' }))];
    const nodes = [node('a', { ng: 'x' }), node('b', { ng: 'x', team: 'nf' })];
    execute(memory, plan(nodes, live, memory, opts));

    const deleting = [nodeEni('one', spec({ ng: 'x' }), { deleting: true, attachmentNodes: ['a', 'b'] }), live[1]];
    const actions = plan(nodes, deleting, memory, opts);
    expect(kinds(actions)).toEqual(['offboard:a/one', 'offboard:b/one', 'onboard:b', 'awaitCleanup:/one']);
    expect(actions.find((a) => a.kind === 'offboard' && a.node === 'a')).toMatchObject({ stopOnboarding: true, reason: 'NodeENI one deleted' });
    expect(actions.find((a) => a.kind === 'offboard' && a.node === 'b')).toMatchObject({ stopOnboarding: false });
    expect((actions.find((a) => a.kind === 'onboard') as Extract<Action, { kind: 'onboard' }>).policies.map((p) => p.name)).toEqual(['two']);
    execute(memory, actions);

    // One finished, and status already dropped its entries: still held for the other.
    noteOffboardCompleted(memory, 'a', 'one');
    const stillHeld = plan(nodes, [{ ...deleting[0], attachmentNodes: ['b'] }, live[1]], memory, opts);
    expect(stillHeld).toEqual([{ kind: 'awaitCleanup', nodeEni: 'one', pendingNodes: ['b'] }]);
    // Both finished but status still lists a node: held.
    noteOffboardCompleted(memory, 'b', 'one');
    expect(kinds(plan(nodes, [{ ...deleting[0], attachmentNodes: ['b'] }, live[1]], memory, opts))).toEqual(['awaitCleanup:/one']);
    // Both finished and status empty: released.
    expect(plan(nodes, [{ ...deleting[0], attachmentNodes: [] }, live[1]], memory, opts)).toEqual([{ kind: 'releaseFinalizer', nodeEni: 'one' }]);
  });

  test('a deleted NodeENI whose offboarding was never seen by this controller (restart) is not released early', () => {
    // Status is empty (e.g. the onboarding never published) but a node still matches: it must be offboarded first.
    const deleting = [nodeEni('one', spec({ ng: 'x' }), { deleting: true })];
    const actions = plan([node('a', { ng: 'x' })], deleting, emptyMemory(), opts);
    expect(kinds(actions)).toEqual(['offboard:a/one', 'awaitCleanup:/one']);
  });

  test('the startup taint is added only to matching nodes without ENIs, when enabled', () => {
    const enis = [nodeEni('one', spec({ ng: 'x' }))];
    const nodes = [node('a', { ng: 'x' }), node('b', { ng: 'x' }, { hasEnisAnnotation: true }), node('c', {})];
    expect(kinds(plan(nodes, enis, emptyMemory(), { ...opts, startupTaint: true })).filter((k) => k.startsWith('taint'))).toEqual(['taint:a']);
    expect(kinds(plan(nodes, enis, emptyMemory(), opts)).filter((k) => k.startsWith('taint'))).toEqual([]);
  });
});

describe('controller config', () => {
  test('defaults, durations and identity', () => {
    const config = loadControllerConfig({ HOSTNAME: 'pod-1' });
    expect(config).toMatchObject({ cluster: 'eniflow', reconcilePeriodMs: 1_800_000, leaseNamespace: 'eniflow-system', identity: 'pod-1', startupTaint: false });
    expect(loadControllerConfig({ RECONCILE_PERIOD: '1h30m', POD_NAME: 'p', STARTUP_TAINT: 'true' })).toMatchObject({ reconcilePeriodMs: 5_400_000, identity: 'p', startupTaint: true });
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5')).toBeUndefined();
  });

  test('errors name the variable', () => {
    expect(() => loadControllerConfig({ RECONCILE_PERIOD: 'often' })).toThrow(/^RECONCILE_PERIOD: must be a duration/);
    expect(() => loadControllerConfig({ STARTUP_TAINT: 'maybe' })).toThrow(/^STARTUP_TAINT: must be true or false/);
    expect(() => loadControllerConfig({ AWS_REGION: 'Europe' })).toThrow(/^AWS_REGION: /);
    expect(() => loadControllerConfig({ POD_NAMESPACE: 'Bad_NS' })).toThrow(/^POD_NAMESPACE: /);
  });
});

describe('lease decision', () => {
  const now = 1_000_000;
  test('create, renew, wait, take over an expired or released lease', () => {
    expect(leaseDecision({ exists: false }, 'me', now)).toBe('create');
    expect(leaseDecision({ exists: true, holder: 'me', renewTimeMs: 0, leaseDurationSeconds: 15 }, 'me', now)).toBe('renew');
    expect(leaseDecision({ exists: true, holder: 'other', renewTimeMs: now - 5000, leaseDurationSeconds: 15 }, 'me', now)).toBe('wait');
    expect(leaseDecision({ exists: true, holder: 'other', renewTimeMs: now - 16_000, leaseDurationSeconds: 15 }, 'me', now)).toBe('takeOver');
    expect(leaseDecision({ exists: true, holder: undefined }, 'me', now)).toBe('takeOver');
  });
});
