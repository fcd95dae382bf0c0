// onboardNode on a real Temporal server, with stand-in activities: the workflow's own logic
// (ordering, saga, re-planning, fallbacks, validation, progress, search attributes).
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { CentralActivities } from '../../src/activities/central';
import type { NodeActivities } from '../../src/activities/node';
import type { EniFacts, EniPlan, InstanceFacts, InterfaceReport } from '../../src/domain/types';
import { samplePolicy } from '../../src/dev/sampleNodeEni';
import { workflowBundle } from '../../src/workers/bundle';
import {
  CENTRAL_TASK_QUEUE,
  desiredStateSignal,
  nodeTaskQueue,
  offboardProgressQuery,
  offboardWorkflowId,
  onboardWorkflowId,
  progressQuery,
  type OnboardInput,
} from '../../src/workflows/definitions';
import { INSTANCE_ID, PHASE } from '../../src/workflows/searchAttributes';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

const INSTANCE = 'i-0123456789abcdef0';
const AZ = 'eu-west-1a';

function facts(): InstanceFacts {
  return {
    instanceId: INSTANCE,
    state: 'running',
    vpcId: 'vpc-1',
    subnetId: 'subnet-00000000',
    availabilityZone: AZ,
    instanceType: 't3.large',
    metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1, httpEndpoint: 'enabled', httpProtocolIpv6: 'disabled', instanceMetadataTags: 'disabled', state: 'applied' },
    networkInterfaces: [eni('eni-primary', '0a:00:00:00:00:00', 0)],
  };
}

function eni(eniId: string, mac: string, deviceIndex?: number): EniFacts {
  return {
    eniId,
    mac,
    subnetId: 'subnet-11111111',
    securityGroupIds: [],
    status: deviceIndex === undefined ? 'available' : 'in-use',
    tags: {},
    attachment: deviceIndex === undefined ? undefined : { attachmentId: `attach-${eniId}`, instanceId: INSTANCE, deviceIndex, status: 'attached', deleteOnTermination: true },
  };
}

function plan(i: number): EniPlan {
  return {
    nodeEniName: 'multus-data',
    subnetId: `subnet-${i}${i}${i}${i}${i}${i}${i}${i}`,
    deviceIndex: i,
    securityGroupIds: [],
    description: 'd',
    deleteOnTermination: true,
    mtu: 9001,
    tags: {},
    key: `key-${i}`,
  };
}

/** Records calls; each test overrides what it needs. */
function fakes(overrides: { central?: Partial<CentralActivities>; node?: Partial<NodeActivities> } = {}) {
  const calls: Array<{ name: string; args: unknown }> = [];
  const record = (name: string, args: unknown) => calls.push({ name, args });
  const central: CentralActivities = {
    async verifyImds(req) {
      record('verifyImds', req);
      return facts();
    },
    async ensureHopLimit(req) {
      record('ensureHopLimit', req);
      return { action: 'updated', before: facts().metadataOptions, after: { ...facts().metadataOptions, httpPutResponseHopLimit: 2 }, detail: 'hop limit 1 → 2' };
    },
    async planEnis(req) {
      record('planEnis', req);
      return { plans: [plan(1), plan(2)], skipped: [], stale: [] };
    },
    async ensureEni(req) {
      record('ensureEni', req);
      const i = req.plan.deviceIndex;
      return { eni: eni(`eni-${req.plan.key}`, `0a:00:00:00:00:0${i}`), origin: 'created' };
    },
    async attachEni(req) {
      record('attachEni', req);
      return { attachmentId: `attach-${req.eniId}`, deviceIndex: req.deviceIndex, deleteOnTermination: req.deleteOnTermination };
    },
    async deleteEni(req) {
      record('deleteEni', req);
    },
    async listNodeEnis(req) {
      record('listNodeEnis', req);
      return [{ ...eni('eni-old-1', '0a:00:00:00:00:0a', 1), tags: { NodeENI: 'multus-data' } }, { ...eni('eni-old-2', '0a:00:00:00:00:0b'), tags: { NodeENI: 'multus-data' } }];
    },
    async detachEni(req) {
      record('detachEni', req);
      return { eniId: req.eniId, state: 'available', forced: false };
    },
    async publishStatus(report) {
      record('publishStatus', report);
    },
    ...overrides.central,
  };
  const node: NodeActivities = {
    async detectInstance(req) {
      record('detectInstance', req);
      return { instanceId: INSTANCE, region: 'eu-west-1', availabilityZone: AZ, macs: [], source: 'v2' };
    },
    async configureInterface(req) {
      record('configureInterface', req);
      const state = { name: `ens${req.mac.slice(-1)}`, mac: req.mac, mtu: req.mtu, up: true };
      const report: InterfaceReport = { mac: req.mac, name: state.name, before: { ...state, mtu: 1500, up: false }, after: state, changed: true };
      return report;
    },
    async releaseInterface(req) {
      record('releaseInterface', req);
    },
    ...overrides.node,
  };
  return { central, node, calls };
}

describe('onboardNode workflow (real Temporal server, stand-in activities)', () => {
  let t: TestTemporal;
  let counter = 0;

  beforeAll(async () => {
    t = await testTemporal('wf');
    await workflowBundle();
  });
  afterAll(async () => t?.close());

  function input(nodeName: string, extra: Partial<OnboardInput> = {}): OnboardInput {
    return { nodeName, cluster: 'test', policies: [samplePolicy()], imds: { autoConfigure: true, hopLimit: 2 }, providerID: `aws:///${AZ}/${INSTANCE}`, ...extra };
  }

  async function run<T>(nodeName: string, f: ReturnType<typeof fakes>, body: () => Promise<T>): Promise<T> {
    const centralWorker = await Worker.create({
      connection: t.nativeConnection,
      namespace: t.namespace,
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: f.central,
    });
    const agent = await Worker.create({ connection: t.nativeConnection, namespace: t.namespace, taskQueue: nodeTaskQueue(nodeName), activities: f.node });
    return centralWorker.runUntil(agent.runUntil(body));
  }

  const nextNode = () => `node-${++counter}`;

  it('runs the six steps in order and reports progress, details and search attributes', async () => {
    const f = fakes();
    const nodeName = nextNode();
    const { result, progress, description } = await run(nodeName, f, async () => {
      const handle = await t.client.workflow.start('onboardNode', { taskQueue: CENTRAL_TASK_QUEUE, workflowId: onboardWorkflowId(nodeName), args: [input(nodeName)] });
      const result = await handle.result();
      return { result, progress: await handle.query(progressQuery), description: await handle.describe() };
    });
    expect(result.enis.map((e: { deviceIndex: number }) => e.deviceIndex)).toEqual([1, 2]);
    expect(f.calls.map((c) => c.name)).toEqual([
      'detectInstance', 'verifyImds', 'ensureHopLimit', 'planEnis', 'ensureEni', 'attachEni', 'ensureEni', 'attachEni', 'configureInterface', 'configureInterface', 'publishStatus',
    ]);
    expect(progress.phase).toBe('Ready');
    expect(progress.steps.every((s) => s.status === 'done')).toBe(true);
    expect(progress.enis.map((e) => e.interfaceName)).toEqual(['ens1', 'ens2']);
    expect(description.typedSearchAttributes.get(PHASE)).toBe('Ready');
    expect(description.typedSearchAttributes.get(INSTANCE_ID)).toBe(INSTANCE);
    // The primary interface's MAC is protected from configuration.
    const configure = f.calls.find((c) => c.name === 'configureInterface')!.args as { protectedMacs: string[]; mtu: number };
    expect(configure.protectedMacs).toEqual(['0a:00:00:00:00:00']);
    expect(configure.mtu).toBe(9001);
  });

  it('fails fast, non-retryably, on invalid input and names the field', async () => {
    const f = fakes();
    const nodeName = nextNode();
    const err = await run(nodeName, f, async () => {
      const handle = await t.client.workflow.start('onboardNode', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: onboardWorkflowId(nodeName),
        args: [input(nodeName, { policies: [{ name: 'bad', spec: { ...samplePolicy().spec, mtu: 9500 } }] })],
      });
      return handle.result().then(() => undefined, (e: unknown) => e);
    });
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/policies\.0\.spec\.mtu/);
    expect(f.calls).toHaveLength(0);
  });

  it('deletes the ENI it created when attaching fails (saga), and fails the workflow', async () => {
    const f = fakes({
      central: {
        async attachEni() {
          throw ApplicationFailure.create({ type: 'AttachmentLimitExceeded', message: 'limit', nonRetryable: true });
        },
      },
    });
    const nodeName = nextNode();
    const progress = await run(nodeName, f, async () => {
      const handle = await t.client.workflow.start('onboardNode', { taskQueue: CENTRAL_TASK_QUEUE, workflowId: onboardWorkflowId(nodeName), args: [input(nodeName)] });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      return handle.query(progressQuery);
    });
    const deleted = f.calls.filter((c) => c.name === 'deleteEni').map((c) => (c.args as { eniId: string }).eniId);
    expect(deleted).toEqual(['eni-key-1']);
    expect(progress.phase).toBe('Failed');
    expect(progress.error).toMatch(/limit/);
    expect(f.calls.filter((c) => c.name === 'publishStatus')).toHaveLength(1);
  });

  it('never deletes an adopted ENI when attaching fails', async () => {
    const f = fakes({
      central: {
        async ensureEni(req) {
          return { eni: eni(`eni-${req.plan.key}`, '0a:00:00:00:00:01'), origin: 'adopted' };
        },
        async attachEni() {
          throw ApplicationFailure.create({ type: 'EniAttachedElsewhere', message: 'elsewhere', nonRetryable: true });
        },
      },
    });
    const nodeName = nextNode();
    await run(nodeName, f, async () => {
      const handle = await t.client.workflow.start('onboardNode', { taskQueue: CENTRAL_TASK_QUEUE, workflowId: onboardWorkflowId(nodeName), args: [input(nodeName)] });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    });
    expect(f.calls.filter((c) => c.name === 'deleteEni')).toHaveLength(0);
  });

  it('re-plans on a device-index conflict instead of retrying the same index', async () => {
    let attempts = 0;
    let plans = 0;
    const f = fakes({
      central: {
        async planEnis() {
          plans++;
          return { plans: plans === 1 ? [plan(1)] : [{ ...plan(1), deviceIndex: 3 }], skipped: [], stale: [] };
        },
        async attachEni(req) {
          attempts++;
          if (req.deviceIndex === 1) throw ApplicationFailure.create({ type: 'DeviceIndexConflict', message: 'index 1 in use', nonRetryable: true });
          return { attachmentId: 'a', deviceIndex: req.deviceIndex, deleteOnTermination: true };
        },
      },
    });
    const nodeName = nextNode();
    const result = await run(nodeName, f, async () =>
      (await t.client.workflow.start('onboardNode', { taskQueue: CENTRAL_TASK_QUEUE, workflowId: onboardWorkflowId(nodeName), args: [input(nodeName)] })).result(),
    );
    expect(plans).toBe(2);
    expect(attempts).toBe(2);
    expect(result.enis[0].deviceIndex).toBe(3);
  });

  it("falls back on the node's providerID when the agent cannot read IMDS", async () => {
    const f = fakes({
      node: {
        async detectInstance() {
          throw ApplicationFailure.create({ type: 'InstanceIdUnknown', message: 'IMDS timed out', nonRetryable: true });
        },
      },
    });
    const nodeName = nextNode();
    const progress = await run(nodeName, f, async () => {
      const handle = await t.client.workflow.start('onboardNode', { taskQueue: CENTRAL_TASK_QUEUE, workflowId: onboardWorkflowId(nodeName), args: [input(nodeName)] });
      await handle.result();
      return handle.query(progressQuery);
    });
    expect(progress.imdsSource).toBe('providerID');
    expect(progress.instanceId).toBe(INSTANCE);
    expect(progress.warnings.join(' ')).toMatch(/providerID/);
  });

  it('records a hop-limit failure as a warning and still onboards', async () => {
    const warning = 'Failed to configure IMDS hop limit, continuing with default configuration: ...';
    const f = fakes({
      central: {
        async ensureHopLimit() {
          return { action: 'failed', before: facts().metadataOptions, detail: warning, warning };
        },
      },
    });
    const nodeName = nextNode();
    const progress = await run(nodeName, f, async () => {
      const handle = await t.client.workflow.start('onboardNode', { taskQueue: CENTRAL_TASK_QUEUE, workflowId: onboardWorkflowId(nodeName), args: [input(nodeName)] });
      await handle.result();
      return handle.query(progressQuery);
    });
    expect(progress.phase).toBe('Ready');
    expect(progress.warnings).toContain(warning);
    expect(progress.steps.find((s) => s.name === 'ensureHopLimit')!.status).toBe('warning');
  });

  it('releases ENIs that no plan wants any more (a subnet removed from the NodeENI)', async () => {
    const stale = { ...eni('eni-stale', '0a:00:00:00:00:0c', 3), tags: { NodeENI: 'multus-data' } };
    const f = fakes({
      central: {
        async planEnis() {
          return { plans: [plan(1)], skipped: [], stale: [stale] };
        },
      },
    });
    const nodeName = nextNode();
    const progress = await run(nodeName, f, async () => {
      const handle = await t.client.workflow.start('onboardNode', { taskQueue: CENTRAL_TASK_QUEUE, workflowId: onboardWorkflowId(nodeName), args: [input(nodeName)] });
      await handle.result();
      return handle.query(progressQuery);
    });
    const names = f.calls.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['releaseInterface', 'detachEni', 'deleteEni']));
    expect(names.indexOf('releaseInterface')).toBeLessThan(names.indexOf('detachEni'));
    expect(names.indexOf('detachEni')).toBeLessThan(names.indexOf('deleteEni'));
    expect((f.calls.find((c) => c.name === 'deleteEni')!.args as { eniId: string }).eniId).toBe('eni-stale');
    expect(progress.released).toEqual(['eni-stale']);
    expect(progress.enis.map((e) => e.eniId)).toEqual(['eni-key-1']);
  });

  it('applies a desired-state change that arrives during a pass with one more pass (no change lost)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let passes = 0;
    const f = fakes({
      central: {
        async verifyImds() {
          passes++;
          if (passes === 1) await gate;
          return facts();
        },
      },
    });
    const nodeName = nextNode();
    const progress = await run(nodeName, f, async () => {
      const handle = await t.client.workflow.start('onboardNode', { taskQueue: CENTRAL_TASK_QUEUE, workflowId: onboardWorkflowId(nodeName), args: [input(nodeName)] });
      while (passes === 0) await new Promise((r) => setTimeout(r, 20));
      const changed = samplePolicy();
      changed.spec = { ...changed.spec, mtu: 1500 };
      await handle.signal(desiredStateSignal, input(nodeName, { policies: [changed] }));
      release();
      await handle.result();
      return handle.query(progressQuery);
    });
    expect(passes).toBe(2);
    const mtus = f.calls.filter((c) => c.name === 'configureInterface').map((c) => (c.args as { mtu: number }).mtu);
    // The first pass finishes with what it started with; the change is applied by the second.
    expect(mtus).toEqual([9001, 9001, 1500, 1500]);
    expect(progress.phase).toBe('Ready');
  });

  it('offboards every ENI of the node: interface down, detach, delete', async () => {
    const f = fakes();
    const nodeName = nextNode();
    const { result, progress } = await run(nodeName, f, async () => {
      const handle = await t.client.workflow.start('offboardNode', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: offboardWorkflowId(nodeName),
        args: [{ nodeName, cluster: 'test', region: 'eu-west-1', reason: 'node deleted' }],
      });
      return { result: await handle.result(), progress: await handle.query(offboardProgressQuery) };
    });
    expect(result.released).toEqual(['eni-old-1', 'eni-old-2']);
    expect(f.calls.filter((c) => c.name === 'deleteEni').map((c) => (c.args as { eniId: string }).eniId).sort()).toEqual(['eni-old-1', 'eni-old-2']);
    expect(progress.enis.map((e) => e.status)).toEqual(['deleted', 'deleted']);
    const published = f.calls.find((c) => c.name === 'publishStatus')!.args as { phase: string; releasedEniIds: string[] };
    expect(published).toMatchObject({ phase: 'Offboarded', releasedEniIds: ['eni-old-1', 'eni-old-2'] });
  });

  it('keeps retrying a cleanup that fails, instead of giving up', async () => {
    let detachAttempts = 0;
    const f = fakes({
      central: {
        async detachEni(req) {
          detachAttempts++;
          if (detachAttempts < 3) throw ApplicationFailure.create({ type: 'UnauthorizedOperation', message: 'not allowed (yet)' });
          return { eniId: req.eniId, state: 'available', forced: false };
        },
        async listNodeEnis() {
          return [eni('eni-x', '0a:00:00:00:00:0d', 1)];
        },
      },
    });
    const nodeName = nextNode();
    const result = await run(nodeName, f, async () =>
      (await t.client.workflow.start('offboardNode', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: offboardWorkflowId(nodeName),
        args: [{ nodeName, cluster: 'test', region: 'eu-west-1', reason: 'test' }],
      })).result(),
    );
    expect(detachAttempts).toBe(3);
    expect(result.released).toEqual(['eni-x']);
  });
});
