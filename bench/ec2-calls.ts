// EC2 API calls per onboarded ENI, measured on the local stack (own Temporal dev server, moto behind
// the strict proxy, simulated nodes). Run: `npm run build && node dist/bench/ec2-calls.js [N ...]`.
//
// Only eniflow's own calls are counted: the central worker talks to a counting proxy in front of the
// stack's, while the simulated nodes' hypervisor polling goes straight to the stack's proxy.
// For each N: onboard N nodes at once (2 ENIs each), then onboard them again (nothing to do).
import { startEc2Proxy } from '../src/dev/ec2Proxy';
import { startLocalStack, type LocalStack } from '../src/dev/stack';
import { startStackWorkers, type StackWorkers, onboardStackNodes } from '../src/dev/stackWorkers';
import type { SeedNode } from '../src/dev/cloud';

/** Per ENI: mutating calls on ENIs; per node: the instance's metadata options. */
const ENI_MUTATIONS = new Set(['CreateNetworkInterface', 'AttachNetworkInterface', 'ModifyNetworkInterfaceAttribute', 'DetachNetworkInterface', 'DeleteNetworkInterface']);

export interface RunFigures {
  label: string;
  nodes: number;
  enis: number;
  seconds: number;
  counts: Record<string, number>;
  mutating: number;
  describe: number;
}

function figures(label: string, nodes: number, enis: number, seconds: number, counts: Record<string, number>): RunFigures {
  const sum = (pick: (action: string) => boolean) => Object.entries(counts).filter(([a]) => pick(a)).reduce((n, [, c]) => n + c, 0);
  return { label, nodes, enis, seconds, counts, mutating: sum((a) => !a.startsWith('Describe')), describe: sum((a) => a.startsWith('Describe')) };
}

function perEni(n: number, enis: number): string {
  return enis > 0 ? (n / enis).toFixed(2) : '-';
}

function printRun(run: RunFigures): void {
  console.log(`\n== ${run.label}: ${run.nodes} nodes, ${run.enis} ENIs, ${run.seconds.toFixed(1)} s`);
  console.log(`   ${'action'.padEnd(34)}${'calls'.padStart(7)}${'per ENI'.padStart(9)}${'per node'.padStart(10)}  kind`);
  const rows = Object.entries(run.counts).sort(([a], [b]) => a.localeCompare(b));
  for (const [action, calls] of rows) {
    const kind = action.startsWith('Describe') ? 'describe' : ENI_MUTATIONS.has(action) ? 'mutating (ENI)' : 'mutating (instance)';
    console.log(`   ${action.padEnd(34)}${String(calls).padStart(7)}${perEni(calls, run.enis).padStart(9)}${(calls / run.nodes).toFixed(2).padStart(10)}  ${kind}`);
  }
  console.log(`   ${'mutating, total'.padEnd(34)}${String(run.mutating).padStart(7)}${perEni(run.mutating, run.enis).padStart(9)}${(run.mutating / run.nodes).toFixed(2).padStart(10)}`);
  console.log(`   ${'describe, total'.padEnd(34)}${String(run.describe).padStart(7)}${perEni(run.describe, run.enis).padStart(9)}${(run.describe / run.nodes).toFixed(2).padStart(10)}`);
}

async function onboardAll(stack: LocalStack, workers: StackWorkers): Promise<{ seconds: number; enis: number }> {
  const started = Date.now();
  const handles = await onboardStackNodes(workers.client, stack, { cluster: 'bench' });
  const results = await Promise.all(handles.map((h) => h.result()));
  return { seconds: (Date.now() - started) / 1000, enis: results.reduce((n, r) => n + r.enis.length, 0) };
}

export async function measure(nodes: number): Promise<RunFigures[]> {
  const seed: SeedNode[] = Array.from({ length: nodes }, (_, i) => ({ name: `bench-${i + 1}`, httpTokens: i % 2 ? 'optional' : 'required', hopLimit: 1 }));
  const stack = await startLocalStack({ nodes: seed, temporal: { ui: false } });
  const counting = await startEc2Proxy({ target: stack.ec2Endpoint, strict: false });
  let workers: StackWorkers | undefined;
  try {
    workers = await startStackWorkers(stack, { logLevel: 'ERROR', ec2Endpoint: counting.endpoint });
    counting.resetCounts(); // seeding went through the stack's proxy; start from zero regardless
    const first = await onboardAll(stack, workers);
    const firstCounts = counting.counts();
    counting.resetCounts();
    const second = await onboardAll(stack, workers);
    return [
      figures('first onboarding', nodes, first.enis, first.seconds, firstCounts),
      // "per ENI" of the second run: per ENI the node already has.
      figures('second onboarding (idempotent, nothing to do)', nodes, second.enis, second.seconds, counting.counts()),
    ];
  } finally {
    await workers?.stop();
    await counting.stop();
    await stack.stop();
  }
}

async function main(argv: string[]): Promise<void> {
  const sizes = argv.length > 0 ? argv.map(Number) : [3, 10];
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 50)) throw new Error('usage: node dist/bench/ec2-calls.js [N ...]  (1..50 nodes each)');
  const summary: Array<Record<string, unknown>> = [];
  for (const n of sizes) {
    for (const run of await measure(n)) {
      printRun(run);
      summary.push({
        run: run.label,
        nodes: run.nodes,
        enis: run.enis,
        seconds: Number(run.seconds.toFixed(2)),
        mutatingPerEni: Number(perEni(run.mutating, run.enis)),
        describePerEni: Number(perEni(run.describe, run.enis)),
        counts: run.counts,
      });
    }
  }
  console.log(`\n${JSON.stringify({ bench: 'ec2-calls', results: summary })}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exit(1);
    },
  );
}
