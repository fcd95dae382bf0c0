// `eniflow demo`: the whole job on its embedded default — a local stack, eniflow's workers and
// agents, three nodes onboarded against a sample NodeENI, live progress, then a table.
import { loadImdsConfig } from '../config/imdsEnv';
import { DEMO_NODES, startLocalStack, type LocalStack } from '../dev/stack';
import { onboardStackNodes, startStackWorkers, type StackWorkers } from '../dev/stackWorkers';
import { samplePolicy } from '../dev/sampleNodeEni';
import { startPodImdsProbe, type PodImdsProbe } from '../dev/podImdsProbe';
import type { OnboardProgress } from '../workflows/definitions';
import { progressLine, resultTable } from './render';
import { readProgress } from './workflowClient';

export interface DemoOptions {
  exit: boolean;
  stateDir?: string;
  nodeMode?: 'auto' | 'netns' | 'memory';
  out?: NodeJS.WriteStream;
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const say = (line: string) => out.write(line + '\n');
  // The SDK's notice about Node 22 is for operators of long-running processes, not demo viewers.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const imds = loadImdsConfig(); // the seed's variables apply to the demo too; fail early on a bad one
  const t0 = Date.now();
  say('eniflow demo: starting the local stack (Temporal dev server, EC2 emulator, 3 simulated nodes)…');
  let stack: LocalStack | undefined;
  let workers: StackWorkers | undefined;
  let probe: PodImdsProbe | undefined;
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await probe?.stop().catch(() => undefined);
    await workers?.stop().catch(() => undefined);
    await stack?.stop().catch(() => undefined);
  };
  try {
    stack = await startLocalStack({ stateDir: options.stateDir, nodeMode: options.nodeMode });
    say(`  Temporal ${stack.temporalAddress} (Web UI ${stack.uiUrl}), EC2 ${stack.ec2Endpoint} in ${stack.region}`);
    say(`  nodes: ${stack.nodes.map((n) => `${n.name}=${n.instanceId}`).join(', ')} — interfaces: ${stack.nodeMode === 'netns' ? 'network namespaces' : `in memory (${stack.nodeModeReason})`}`);
    workers = await startStackWorkers(stack, { logLevel: (process.env.ENIFLOW_LOG_LEVEL?.toUpperCase() as 'ERROR') ?? 'ERROR' });
    // Root: show the seed's failure for real — a pod one hop away cannot get an IMDSv2 token at hop limit 1.
    const probed = stack.nodeMode === 'netns' ? await startPodImdsProbe(stack, imds.hopLimit).catch((err: Error) => ({ skipped: err.message })) : { skipped: 'not running as root' };
    if ('skipped' in probed) say(`  (pod → IMDS hop-limit probe skipped: ${probed.skipped})`);
    else {
      probe = probed;
      for (const [name, result] of [...probe.before].sort(([a], [b]) => a.localeCompare(b))) say(`  ${name}: a pod one routed hop from IMDS asks for an IMDSv2 token: ${result}`);
    }
    const stackUp = Date.now();
    say(`  stack up in ${((stackUp - t0) / 1000).toFixed(1)} s; onboarding ${stack.nodes.length} nodes against NodeENI ${samplePolicy().name} (2 subnets, MTU 9001)\n`);

    const handles = await onboardStackNodes(workers.client, stack, {
      cluster: 'eniflow-demo',
      policies: [samplePolicy()],
      hopLimit: imds.hopLimit,
      autoConfigure: imds.autoConfigureHopLimit,
    });
    const results = Promise.allSettled(handles.map((h) => h.result()));
    const latest = new Map<string, OnboardProgress | undefined>();
    const live = out.isTTY === true;
    let printed = 0;
    let lastFrame = '';
    const render = async () => {
      for (const node of stack!.nodes) latest.set(node.name, await readProgress(workers!.client, node.name).catch(() => latest.get(node.name)));
      const frame = stack!.nodes.map((n) => progressLine(latest.get(n.name), n.name)).join('\n');
      if (frame === lastFrame) return;
      if (live && printed) out.write(`\x1b[${printed}A\x1b[J`);
      out.write(frame + '\n' + (live ? '' : '\n'));
      printed = frame.split('\n').length;
      lastFrame = frame;
    };
    let done = false;
    void results.then(() => (done = true));
    while (!done) {
      await render();
      await new Promise((r) => setTimeout(r, 250));
    }
    await render();
    const onboardedIn = (Date.now() - stackUp) / 1000;
    const settled = await results;
    const progress = stack.nodes.map((n) => latest.get(n.name)).filter((p): p is OnboardProgress => Boolean(p));
    say('\n' + resultTable(progress));
    const ok = settled.filter((r) => r.status === 'fulfilled').length;
    const enis = progress.reduce((sum, p) => sum + p.enis.filter((e) => e.status === 'configured').length, 0);
    say(`\n${ok}/${stack.nodes.length} nodes onboarded, ${enis} ENIs attached and configured, in ${onboardedIn.toFixed(2)} s after the stack was up.`);
    if (probe) for (const line of await probe.after()) say(line);
    for (const p of progress) for (const w of p.warnings) say(`  warning (${p.nodeName}): ${w}`);
    for (const r of settled) if (r.status === 'rejected') say(`  failed: ${(r.reason as Error).message}`);
    say(`Temporal Web UI: ${stack.uiUrl}/namespaces/${stack.namespace}/workflows`);
    if (!options.exit) {
      say('The stack stays up for you to explore (eniflow status/list with TEMPORAL_ADDRESS=' + stack.temporalAddress + '). Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return ok === stack.nodes.length ? 0 : 1;
  } finally {
    await shutdown();
  }
}

export const DEMO_NODE_COUNT = DEMO_NODES.length;
