// The node agent as the real `eniflow agent` process (dist/, as deployed) against the local stack:
// health endpoints, graceful SIGTERM, and a SIGKILL while it waits for a hot-plug, with the workflow
// still completing on the restarted agent. Needs root for network namespaces.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startLocalStack, type LocalStack, type StackNode } from '../../src/dev/stack';
import { startStackWorkers, type StackWorkers } from '../../src/dev/stackWorkers';
import { startProcess, type ManagedProcess } from '../../src/dev/childProcess';
import { freePort } from '../../src/dev/ports';
import { isRoot } from '../../src/dev/netns';
import { samplePolicy } from '../../src/dev/sampleNodeEni';
import { startOnboarding } from '../../src/cli/workflowClient';
import { progressQuery } from '../../src/workflows/definitions';
import type { Ec2CallEvent } from '../../src/dev/ec2Proxy';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { describeIf } from '../helpers/requires';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'eniflow.js');
const BUILT = existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'));
const describeAgent = describeIf(!isRoot() ? 'they need root for network namespaces' : !BUILT ? 'dist/ is not built (npm run build)' : undefined, 'agent-process tests');

interface AgentProcess {
  proc: ManagedProcess;
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function httpStatus(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `ip -n <ns> monitor link` processes, i.e. hot-plug waits in progress, with their parent pid. */
function monitorsFor(ns: string): Array<{ pid: number; ppid: number }> {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,args=']).toString();
  return out
    .split('\n')
    .filter((l) => l.includes(`-n ${ns} monitor link`))
    .map((l) => l.trim().split(/\s+/))
    .map(([pid, ppid]) => ({ pid: Number(pid), ppid: Number(ppid) }));
}

function linksIn(ns: string): Array<{ ifname: string; address: string; mtu: number; up: boolean }> {
  const rows = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string; address: string; mtu: number; flags: string[] }>;
  return rows.filter((r) => r.ifname !== 'lo').map((r) => ({ ifname: r.ifname, address: r.address, mtu: r.mtu, up: r.flags.includes('UP') }));
}

describeAgent('the eniflow agent process', () => {
  let t: TestTemporal;
  let stack: LocalStack;
  let workers: StackWorkers;
  let node: StackNode;
  const agents: AgentProcess[] = [];

  async function spawnAgent(): Promise<AgentProcess> {
    const port = await freePort();
    const proc = startProcess('eniflow-agent', process.execPath, [BIN, 'agent'], {
      ...process.env,
      NODE_NAME: node.name,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_NAMESPACE: stack.namespace,
      ENIFLOW_NETNS: node.netns,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: node.imdsEndpoint,
      HEALTH_PORT: String(port),
      ENIFLOW_LOG_LEVEL: 'WARN',
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const agent = { proc, child: proc.child, port, exited };
    agents.push(agent);
    await until(`/readyz of the agent (output: ${proc.output()})`, 30_000, async () => (await httpStatus(port, '/readyz')) === 200);
    return agent;
  }

  beforeAll(async () => {
    t = await testTemporal('agent-proc');
    stack = await startLocalStack({ temporalAddress: t.address, namespace: t.namespace, nodeMode: 'netns', nodes: [{ name: 'agent-node-1', httpTokens: 'required', hopLimit: 2 }] });
    node = stack.nodes[0];
    // Only the central worker runs in this process: the node's agent is the process under test.
    workers = await startStackWorkers(stack, { logLevel: 'ERROR', agentsFor: [] });
  });
  afterAll(async () => {
    for (const a of agents) await a.proc.stop();
    await workers?.stop();
    await stack?.stop();
    await t?.close();
  });

  test('answers /healthz and /readyz while running and exits 0 on SIGTERM, closing the health server', async () => {
    const agent = await spawnAgent();
    expect(await httpStatus(agent.port, '/healthz')).toBe(200);
    expect(await httpStatus(agent.port, '/readyz')).toBe(200);
    expect(await httpStatus(agent.port, '/metrics')).toBe(404);

    const signalled = Date.now();
    agent.child.kill('SIGTERM');
    const exit = await agent.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // Idle: nothing to drain, so no waiting for the 20 s grace time.
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(agent.proc.output()).toContain('node agent stopped');
    await expect(httpStatus(agent.port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });

  test('killed while waiting for a hot-plug and restarted: the workflow still completes Ready', async () => {
    const ns = node.netns!;
    // Hold the hot-plug back: once ENIs are being created (the hop-limit step is over), the simulated
    // node cannot read its attachments, so no interface appears until the faults are cleared.
    const holdHotPlug = (call: Ec2CallEvent) => {
      if (call.action === 'CreateNetworkInterface') stack.proxy.setFaults({ serverErrorRate: 1, actions: ['DescribeInstances'] });
    };
    stack.proxy.events.on('call', holdHotPlug);
    try {
      const a = await spawnAgent();
      const handle = await startOnboarding(workers.client, {
        nodeName: node.name,
        cluster: 'agent-e2e',
        providerID: node.providerID,
        policies: [samplePolicy()],
        imds: { autoConfigure: true, hopLimit: 2 },
      });
      // Waiting: the workflow is in configureInterfaces and agent A watches for both MACs.
      const progress = await until('agent A waiting for both interfaces', 30_000, async () => {
        const p = await handle.query(progressQuery);
        const running = p.steps.find((s) => s.name === 'configureInterfaces')?.status === 'running';
        return running && monitorsFor(ns).filter((m) => m.ppid === a.child.pid).length === 2 && p;
      });
      const macs = progress.enis.map((e) => e.mac!.toLowerCase());
      expect(macs).toHaveLength(2);
      expect(linksIn(ns).map((l) => l.address)).toEqual([node.primaryMac]);

      a.child.kill('SIGKILL');
      expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });

      // B picks the retried activities up once the heartbeat timeout (20 s) has expired.
      const b = await spawnAgent();
      await until('agent B waiting for both interfaces', 40_000, async () => monitorsFor(ns).filter((m) => m.ppid === b.child.pid).length === 2);
      // SIGTERM mid-wait: B ends its waits at once (not after the 20 s grace) and exits 0.
      const signalled = Date.now();
      b.child.kill('SIGTERM');
      expect(await b.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(8_000);
      const described = await handle.describe();
      const pending = described.raw.pendingActivities ?? [];
      expect(pending.length).toBe(2);
      for (const activity of pending) expect(activity.lastFailure?.message ?? '').toMatch(/aborted/);

      const c = await spawnAgent();
      await until('agent C waiting for both interfaces', 30_000, async () => monitorsFor(ns).filter((m) => m.ppid === c.child.pid).length === 2);
      stack.proxy.clearFaults(); // the hypervisor's hot-plug happens now

      const result = await handle.result();
      expect(result.enis.map((e) => e.status)).toEqual(['configured', 'configured']);
      const done = await handle.query(progressQuery);
      expect(done.phase).toBe('Ready');
      const links = linksIn(ns);
      for (const mac of macs) {
        const link = links.find((l) => l.address === mac);
        expect(link).toMatchObject({ mtu: 9001, up: true });
        expect(done.enis.find((e) => e.mac?.toLowerCase() === mac)?.interfaceName).toBe(link?.ifname);
      }
      // The primary interface is as the node had it.
      expect(links.find((l) => l.address === node.primaryMac)).toMatchObject({ ifname: 'ens5', mtu: 9001, up: true });
      // No monitor is left: C's ended with its waits, A's orphans die on the next link event.
      await until('no ip monitor left in the namespace', 5_000, async () => monitorsFor(ns).length === 0);

      c.child.kill('SIGTERM');
      expect(await c.exited).toEqual({ code: 0, signal: null });
    } finally {
      stack.proxy.events.off('call', holdHotPlug);
      stack.proxy.clearFaults();
    }
  }, 120_000);
});
