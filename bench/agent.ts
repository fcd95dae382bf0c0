// Node agent benchmark: the real `eniflow agent` process and the real onboarding workflow on the
// local stack (Temporal dev server, moto behind the EC2 proxy, simulated nodes in network namespaces).
// Prints (a) the agent's resident memory idle and while configuring a node with N ENIs, and (b) the
// time from an interface appearing on the node to it being configured (MTU 9001 + UP).
// Run: npm run build && node dist/bench/agent.js   (root: network namespaces)
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import http from 'node:http';
import { parseNodeEniSpec, type NodeEniPolicy } from '../src/config/nodeEni';
import { startLocalStack, type LocalStack, type StackNode } from '../src/dev/stack';
import { startStackWorkers, type StackWorkers } from '../src/dev/stackWorkers';
import { startProcess } from '../src/dev/childProcess';
import { freePort } from '../src/dev/ports';
import { addDummyInterface, netnsSupport } from '../src/dev/netns';
import { SAMPLE_NODE_ENI_MANIFEST } from '../src/dev/sampleNodeEni';
import type { Ec2CallEvent } from '../src/dev/ec2Proxy';
import { startOnboarding } from '../src/cli/workflowClient';
import { progressQuery } from '../src/workflows/definitions';

const BIN = path.join(__dirname, '..', '..', 'bin', 'eniflow.js');
const WATCHDOG_MS = 110_000;

/** N ENIs per node: policies of two subnets each, at device indices 1, 3, 5, ... */
function policiesFor(enis: number): NodeEniPolicy[] {
  return Array.from({ length: enis / 2 }, (_, i) => {
    const name = `bench-${i + 1}`;
    return { name, spec: parseNodeEniSpec(name, { ...SAMPLE_NODE_ENI_MANIFEST.spec, deviceIndex: 1 + 2 * i }) };
  });
}

interface Memory {
  rssKb: number;
  hwmKb: number;
}

function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/** The agent's `ip monitor link` children for this namespace (one per hot-plug wait). */
function monitorPids(ns: string, parent: number): number[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,args='])
    .toString()
    .split('\n')
    .filter((l) => l.includes(`-n ${ns} monitor link`))
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter(([, ppid]) => ppid === parent)
    .map(([pid]) => pid);
}

function httpOk(port: number, urlPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

async function until(what: string, timeoutMs: number, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Watches the node's links with its own `ip -o monitor link`: the appearance of a link and the
 * moment it is MTU 9001 and UP are stamped by the same observer, so its own latency cancels out.
 */
function watchLinks(ns: string) {
  const child = spawn('ip', ['-n', ns, '-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const appeared = new Map<string, number>();
  const configured = new Map<string, number>();
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const now = performance.now();
    const m = /^(Deleted )?\d+: ([^:@\s]+)(?:@\S+)?: <([^>]*)> mtu (\d+)/.exec(line);
    if (!m || m[1]) return;
    const [, , name, flags, mtu] = m;
    if (!appeared.has(name)) appeared.set(name, now);
    if (!configured.has(name) && Number(mtu) === 9001 && flags.split(',').includes('UP')) configured.set(name, now);
    for (const w of waiters.splice(0)) w();
  });
  return {
    /** Resolves with appeared→configured in ms for this link name. */
    reaction(name: string, timeoutMs: number): Promise<number> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} was not configured within ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          const a = appeared.get(name);
          const c = configured.get(name);
          if (a !== undefined && c !== undefined) {
            clearTimeout(timer);
            resolve(c - a);
          } else waiters.push(check);
        };
        check();
      });
    },
    ready: new Promise<void>((resolve) => setTimeout(resolve, 200)), // monitor subscribed
    stop: () => child.kill('SIGTERM'),
  };
}

interface ScenarioResult {
  node: string;
  enis: number;
  idle: Memory;
  peakRssKb: number;
  hwmKb: number;
  monitorsRssKb: number;
  reactionsMs: number[];
  onboardMs: number;
  exitCode: number | null;
}

async function scenario(stack: LocalStack, workers: StackWorkers, node: StackNode, enis: number): Promise<ScenarioResult> {
  const ns = node.netns!;
  const port = await freePort();
  const agent = startProcess('eniflow-agent', process.execPath, [BIN, 'agent'], {
    ...process.env,
    NODE_NAME: node.name,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_NAMESPACE: stack.namespace,
    ENIFLOW_NETNS: ns,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: node.imdsEndpoint,
    HEALTH_PORT: String(port),
    ENIFLOW_LOG_LEVEL: 'WARN',
  });
  const pid = agent.child.pid!;
  const exited = new Promise<number | null>((resolve) => agent.child.once('exit', (code) => resolve(code)));
  try {
    await until(`agent ready on ${node.name}: ${agent.output()}`, 30_000, () => httpOk(port, '/readyz'));
    await new Promise((r) => setTimeout(r, 3000)); // settle: idle means polling, nothing to do
    const idle = memoryOf(pid);

    // The bench plugs the interfaces itself, one at a time, so each appearance is a clean sample:
    // the simulated node's own hot-plug is held back (its DescribeInstances fail) once ENIs are created.
    const hold = (call: Ec2CallEvent) => {
      if (call.action === 'CreateNetworkInterface') stack.proxy.setFaults({ serverErrorRate: 1, actions: ['DescribeInstances'] });
    };
    stack.proxy.events.on('call', hold);
    const links = watchLinks(ns);
    let peakRssKb = idle.rssKb;
    const sampler = setInterval(() => {
      peakRssKb = Math.max(peakRssKb, memoryOf(pid).rssKb);
    }, 25);
    try {
      await links.ready;
      const started = performance.now();
      const handle = await startOnboarding(workers.client, {
        nodeName: node.name,
        cluster: 'bench',
        providerID: node.providerID,
        policies: policiesFor(enis),
        imds: { autoConfigure: true, hopLimit: 2 },
      });
      await until(`${enis} hot-plug waits on ${node.name}`, 60_000, () => monitorPids(ns, pid).length === enis);
      const monitorsRssKb = monitorPids(ns, pid).reduce((sum, p) => sum + memoryOf(p).rssKb, 0);
      const progress = await handle.query(progressQuery);
      const reactionsMs: number[] = [];
      for (const [i, eni] of progress.enis.entries()) {
        const name = `bench${i}`;
        await addDummyInterface(ns, { name, mac: eni.mac! });
        reactionsMs.push(await links.reaction(name, 10_000));
      }
      await handle.result();
      const onboardMs = performance.now() - started;
      clearInterval(sampler);
      const hwmKb = memoryOf(pid).hwmKb;
      agent.child.kill('SIGTERM');
      return { node: node.name, enis, idle, peakRssKb, hwmKb, monitorsRssKb, reactionsMs, onboardMs, exitCode: await exited };
    } finally {
      clearInterval(sampler);
      links.stop();
      stack.proxy.events.off('call', hold);
      stack.proxy.clearFaults();
    }
  } finally {
    await agent.stop();
  }
}

function quantile(sorted: number[], q: number): number {
  // Nearest-rank: the smallest sample with at least q of the samples at or below it.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const mb = (kb: number) => (kb / 1024).toFixed(1);
const ms = (v: number) => v.toFixed(1);

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const support = await netnsSupport();
  if (!support.ok) {
    console.error(`bench/agent needs network namespaces: ${support.reason}`);
    return 2;
  }
  const watchdog = setTimeout(() => {
    console.error(`bench/agent: gave up after ${WATCHDOG_MS / 1000} s`);
    process.exit(1);
  }, WATCHDOG_MS);
  const plan: Array<{ name: string; enis: number }> = [
    { name: 'bench-2', enis: 2 },
    { name: 'bench-8a', enis: 8 },
    { name: 'bench-8b', enis: 8 },
  ];
  console.log('starting the local stack (Temporal dev server, moto + EC2 proxy, 3 simulated nodes in network namespaces)…');
  const stack = await startLocalStack({
    nodeMode: 'netns',
    temporal: { ui: false },
    nodes: plan.map((p) => ({ name: p.name, httpTokens: 'required' as const, hopLimit: 2 })),
  });
  let workers: StackWorkers | undefined;
  try {
    workers = await startStackWorkers(stack, { logLevel: 'ERROR', agentsFor: [] });
    const results: ScenarioResult[] = [];
    for (const p of plan) {
      const node = stack.nodes.find((n) => n.name === p.name)!;
      results.push(await scenario(stack, workers, node, p.enis));
      console.log(`  ${p.name}: ${p.enis} ENIs configured`);
    }

    console.log('\n(a) node agent resident memory (the `eniflow agent` process, /proc/<pid>/status)');
    console.log(
      table(
        ['node', 'ENIs', 'idle VmRSS MB', 'peak VmRSS configuring MB', 'VmHWM MB', 'ip monitor children MB', 'SIGTERM exit'],
        results.map((r) => [r.node, String(r.enis), mb(r.idle.rssKb), mb(r.peakRssKb), mb(r.hwmKb), mb(r.monitorsRssKb), String(r.exitCode)]),
      ),
    );

    console.log('\n(b) reaction time: interface appears on the node → MTU 9001 and UP (ms, same `ip monitor` observer)');
    const rows = results.map((r) => {
      const s = [...r.reactionsMs].sort((x, y) => x - y);
      return [r.node, String(s.length), ms(s[0]), ms(quantile(s, 0.5)), ms(quantile(s, 0.95)), ms(s[s.length - 1]), ms(r.onboardMs)];
    });
    const all = results.flatMap((r) => r.reactionsMs).sort((x, y) => x - y);
    rows.push(['all', String(all.length), ms(all[0]), ms(quantile(all, 0.5)), ms(quantile(all, 0.95)), ms(all[all.length - 1]), '']);
    console.log(table(['node', 'samples', 'min', 'median', 'p95', 'max', 'whole onboarding ms'], rows));
    console.log('\nip monitor children: one per interface still awaited, measured at the moment all N waits were running.');
    return results.every((r) => r.exitCode === 0) ? 0 : 1;
  } finally {
    clearTimeout(watchdog);
    await workers?.stop();
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench/agent failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
