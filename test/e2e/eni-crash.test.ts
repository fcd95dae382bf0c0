// Crash test: the central worker runs as its own PROCESS (`eniflow worker`) and is SIGKILLed right
// after the EC2 proxy answers CreateNetworkInterface (scenario 1) or AttachNetworkInterface
// (scenario 2), then restarted. Every node must end with exactly its ENIs — no duplicate, no orphan —
// as moto itself reports them.
//
// Temporal hands a killed worker's activity to another worker only once it times out (ensureEni:
// startToClose 30 s; attachEni: heartbeat 30 s), so the two scenarios run side by side, each on its
// own moto, proxy and Temporal namespace, to keep the file near 45 s instead of 90 s.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startProcess, type ManagedProcess } from '../../src/dev/childProcess';
import type { Ec2CallEvent } from '../../src/dev/ec2Proxy';
import { startLocalStack, type LocalStack } from '../../src/dev/stack';
import { startStackWorkers, onboardStackNodes } from '../../src/dev/stackWorkers';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { activityAttempts, eniInventory, expectExactlyTwoEnisPerNode, motoClient, seedNodes, within, type ActivityAttempt, type EniInventory } from './eni-checks';

const ROOT = path.resolve(__dirname, '..', '..');
const ENIFLOW_BIN = path.join(ROOT, 'bin', 'eniflow.js');
const BUILT_MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const NODES = 3;

type KillPoint = 'CreateNetworkInterface' | 'AttachNetworkInterface';

interface Kill {
  nodeName: string;
  /** The ENI the killed call created or attached. */
  eniId: string;
  /** Attach only: the device index asked for. */
  deviceIndex?: number;
  exitSignal?: NodeJS.Signals | null;
}

interface Outcome {
  stack: LocalStack;
  kill: Kill;
  results: Array<{ nodeName: string; enis: Array<{ eniId?: string; deviceIndex: number }> }>;
  inventory: EniInventory;
  attemptsOfKilledNode: ActivityAttempt[];
  calls: Record<string, number>;
  workerStarts: number;
}

const cleanups: Array<() => Promise<void>> = [];

function startCentralWorker(stack: LocalStack, t: TestTemporal): ManagedProcess {
  return startProcess('eniflow worker', process.execPath, [ENIFLOW_BIN, 'worker'], {
    ...process.env,
    TEMPORAL_ADDRESS: t.address,
    TEMPORAL_NAMESPACE: t.namespace,
    EC2_ENDPOINT: stack.ec2Endpoint,
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    ENIFLOW_LOG_LEVEL: 'WARN',
    HEALTH_PORT: '0',
  });
}

async function waitStarted(worker: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!worker.output().includes('central worker started')) {
    if (worker.child.exitCode !== null) throw new Error(`the central worker process exited (${worker.child.exitCode}): ${worker.output()}`);
    if (Date.now() > deadline) throw new Error(`the central worker process did not start: ${worker.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tagValue(params: Record<string, string>, key: string): string | undefined {
  // TagSpecification.1.Tag.N.Key / .Value, as the SDK serialises CreateNetworkInterface.
  for (const [name, value] of Object.entries(params)) {
    const m = name.match(/^(TagSpecification\.1\.Tag\.\d+)\.Key$/);
    if (m && value === key) return params[`${m[1]}.Value`];
  }
  return undefined;
}

async function crashScenario(killAt: KillPoint, prefix: string): Promise<Outcome> {
  const t = await testTemporal(prefix);
  cleanups.push(() => t.close());
  const stack = await startLocalStack({ temporalAddress: t.address, namespace: t.namespace, nodes: seedNodes(prefix, NODES) });
  cleanups.push(() => stack.stop());
  // Node agents in this process; the central worker (workflows + EC2 activities) is a separate process.
  const agents = await startStackWorkers(stack, { central: false, logLevel: 'ERROR' });
  cleanups.push(() => agents.stop());

  const processes: ManagedProcess[] = [];
  const launch = () => {
    const worker = startCentralWorker(stack, t);
    processes.push(worker);
    cleanups.push(() => worker.stop());
    return worker;
  };
  const first = launch();
  await waitStarted(first);
  const outputs = () => processes.map((p, i) => `--- worker #${i + 1}:\n${p.output()}`).join('\n');

  let kill: Kill | undefined;
  const killed = new Promise<Kill>((resolve) => {
    // Runs once EC2 has done it and before the worker gets the answer: EC2 did it, eniflow never heard.
    const unregister = stack.proxy.beforeAnswer(killAt, async (call: Ec2CallEvent) => {
      if (kill || call.status !== 200) return;
      unregister();
      kill =
        killAt === 'CreateNetworkInterface'
          ? { nodeName: tagValue(call.params, 'Node') ?? '?', eniId: call.body.match(/<networkInterfaceId>([^<]+)</)?.[1] ?? '?' }
          : {
              nodeName: stack.nodes.find((n) => n.instanceId === call.params.InstanceId)?.name ?? '?',
              eniId: call.params.NetworkInterfaceId,
              deviceIndex: Number(call.params.DeviceIndex),
            };
      const current = kill;
      const exited = new Promise<void>((done) =>
        first.child.once('exit', (_code, signal) => {
          current.exitSignal = signal;
          done();
        }),
      );
      first.child.kill('SIGKILL');
      await exited;
      resolve(current);
      // As Kubernetes would: a new worker process straight away.
      void waitStarted(launch()).catch(() => undefined);
    });
  });

  const handles = await onboardStackNodes(agents.client, stack, { cluster: 'crash' });
  const results = await within(
    140_000,
    `onboarding with a kill after ${killAt}`,
    Promise.all(handles.map((h) => h.result())),
    () => `killed: ${JSON.stringify(kill)}; ${outputs()}`,
  );
  const theKill = await within(5_000, 'the killed worker exiting', killed, () => `no ${killAt} was answered`);

  const moto = motoClient(stack);
  cleanups.push(async () => moto.destroy());
  return {
    stack,
    kill: theKill,
    results: results.map((r) => ({ nodeName: r.nodeName, enis: r.enis.map((e) => ({ eniId: e.eniId, deviceIndex: e.deviceIndex })) })),
    inventory: await eniInventory(moto, stack),
    attemptsOfKilledNode: await activityAttempts(agents.client, theKill.nodeName),
    calls: stack.proxy.counts(),
    workerStarts: processes.length,
  };
}

function expectEveryNodeOnboarded(outcome: Outcome): void {
  const { stack, inventory, results } = outcome;
  expectExactlyTwoEnisPerNode(inventory, stack);
  // What the workflows report is what EC2 holds.
  for (const result of results) {
    const actual = inventory.perNode.get(result.nodeName)!.map((e) => ({ eniId: e.eniId, deviceIndex: e.deviceIndex }));
    expect(result.enis).toEqual(actual);
  }
}

describe('exactly-once ENIs when the central worker process is SIGKILLed', () => {
  let runs: Record<KillPoint, Promise<Outcome>> | undefined;

  beforeAll(() => {
    if (!existsSync(BUILT_MAIN)) throw new Error(`${BUILT_MAIN} is missing: run \`npm run build\` first (the worker runs as a process from dist/)`);
    runs = {
      CreateNetworkInterface: crashScenario('CreateNetworkInterface', 'kill-create'),
      AttachNetworkInterface: crashScenario('AttachNetworkInterface', 'kill-attach'),
    };
    // Each test awaits its own; this keeps a failure of the other from being reported as unhandled.
    for (const run of Object.values(runs)) run.catch(() => undefined);
  });
  afterAll(async () => {
    // Let both scenarios settle before tearing down what they use.
    if (runs) await Promise.allSettled(Object.values(runs));
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }, 60_000);

  test('killed right after CreateNetworkInterface answered: the retry adopts the ENI, no duplicate, no orphan', async () => {
    const outcome = await runs!.CreateNetworkInterface;
    expect(outcome.kill.exitSignal).toBe('SIGKILL');
    expect(outcome.workerStarts).toBe(2);
    // The crash really hit the create: its activity ran again on the new worker...
    const ensure = outcome.attemptsOfKilledNode.filter((a) => a.activityType === 'ensureEni');
    expect(Math.max(...ensure.map((a) => a.attempt))).toBeGreaterThanOrEqual(2);
    // ...and the ENI the dead worker created is the one the node has, not a second one.
    const killedNodeEnis = outcome.inventory.perNode.get(outcome.kill.nodeName)!.map((e) => e.eniId);
    expect(killedNodeEnis).toContain(outcome.kill.eniId);
    expectEveryNodeOnboarded(outcome);
    console.log(`kill after create: ${JSON.stringify({ kill: outcome.kill, calls: outcome.calls })}`);
  }, 170_000);

  test('killed right after AttachNetworkInterface answered: the retry finds the attachment, no second attach', async () => {
    const outcome = await runs!.AttachNetworkInterface;
    expect(outcome.kill.exitSignal).toBe('SIGKILL');
    expect(outcome.workerStarts).toBe(2);
    const attach = outcome.attemptsOfKilledNode.filter((a) => a.activityType === 'attachEni');
    expect(Math.max(...attach.map((a) => a.attempt))).toBeGreaterThanOrEqual(2);
    const attached = outcome.inventory.perNode.get(outcome.kill.nodeName)!.find((e) => e.eniId === outcome.kill.eniId);
    expect(attached?.deviceIndex).toBe(outcome.kill.deviceIndex);
    // One attach per ENI on the whole stack: the retried activity saw the attachment and did not attach again.
    expect(outcome.calls.AttachNetworkInterface).toBe(NODES * 2);
    expectEveryNodeOnboarded(outcome);
    console.log(`kill after attach: ${JSON.stringify({ kill: outcome.kill, calls: outcome.calls })}`);
  }, 170_000);
});
