// Operator commands against any Temporal server: onboard, status, list.
import { loadCentralEnv, type TemporalEnv } from '../config/processEnv';
import { loadImdsConfig } from '../config/imdsEnv';
import { loadNodeEniFile } from '../config/nodeEniManifest';
import { onboardWorkflowId } from '../workflows/definitions';
import { progressLine, resultTable, table } from './render';
import { connectClient, readOffboardProgress, readProgress, startOffboarding, startOnboarding } from './workflowClient';

export async function runOnboardCommand(
  env: TemporalEnv,
  opts: { nodeName?: string; nodeEniFiles: string[]; providerID?: string; wait: boolean },
): Promise<number> {
  if (!opts.nodeName) throw new Error('onboard needs the node name: eniflow onboard <node> --nodeeni FILE');
  if (opts.nodeEniFiles.length === 0) throw new Error('onboard needs at least one --nodeeni FILE (a NodeENI manifest, YAML or JSON)');
  const policies = (await Promise.all(opts.nodeEniFiles.map(loadNodeEniFile))).flat();
  const central = loadCentralEnv();
  const imds = loadImdsConfig();
  const client = await connectClient(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE);
  const handle = await startOnboarding(client, {
    nodeName: opts.nodeName,
    cluster: central.CLUSTER_NAME,
    providerID: opts.providerID,
    policies,
    imds: { autoConfigure: imds.autoConfigureHopLimit, hopLimit: imds.hopLimit },
  });
  console.log(`onboarding ${opts.nodeName}: workflow ${handle.workflowId} (run ${handle.signaledRunId})`);
  if (!opts.wait) return 0;
  try {
    await handle.result();
  } catch (err) {
    const progress = await readProgress(client, opts.nodeName);
    console.error(`onboarding failed: ${progress?.error ?? (err as Error).message}`);
    return 1;
  }
  const progress = await readProgress(client, opts.nodeName);
  if (progress) console.log(resultTable([progress]));
  return 0;
}

export async function runStatusCommand(env: TemporalEnv, nodeName: string | undefined, json: boolean): Promise<number> {
  if (!nodeName) throw new Error('status needs the node name: eniflow status <node>');
  const client = await connectClient(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE);
  const progress = await readProgress(client, nodeName);
  if (!progress) {
    console.error(`no onboarding workflow ${onboardWorkflowId(nodeName)} in namespace ${env.TEMPORAL_NAMESPACE} at ${env.TEMPORAL_ADDRESS}`);
    return 1;
  }
  if (json) {
    console.log(JSON.stringify(progress, null, 2));
    return progress.phase === 'Failed' ? 1 : 0;
  }
  console.log(progressLine(progress, nodeName));
  console.log(table(['STEP', 'STATUS', 'DETAIL'], progress.steps.map((s) => [s.name, s.status, s.detail ?? ''])));
  if (progress.enis.length) console.log('\n' + resultTable([progress]));
  for (const w of progress.warnings) console.log(`warning: ${w}`);
  if (progress.error) console.log(`error: ${progress.error}`);
  return progress.phase === 'Failed' ? 1 : 0;
}

export async function runListCommand(env: TemporalEnv, json: boolean): Promise<number> {
  const client = await connectClient(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE);
  const rows: Array<Record<string, string>> = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'onboardNode'` })) {
    const attrs = wf.searchAttributes as Record<string, unknown[] | undefined>;
    rows.push({
      node: String(attrs.NodeName?.[0] ?? wf.workflowId.replace(/^onboard\//, '')),
      instance: String(attrs.InstanceId?.[0] ?? ''),
      phase: String(attrs.Phase?.[0] ?? ''),
      status: wf.status.name,
      started: wf.startTime.toISOString(),
      workflowId: wf.workflowId,
    });
  }
  if (json) console.log(JSON.stringify(rows, null, 2));
  else console.log(table(['NODE', 'INSTANCE', 'PHASE', 'STATUS', 'STARTED'], rows.map((r) => [r.node, r.instance, r.phase, r.status, r.started])));
  return 0;
}

export async function runOffboardCommand(
  env: TemporalEnv,
  opts: { nodeName?: string; region?: string; nodeEniName?: string; reason?: string; wait: boolean },
): Promise<number> {
  if (!opts.nodeName) throw new Error('offboard needs the node name: eniflow offboard <node> --region REGION [--nodeeni NAME]');
  const central = loadCentralEnv();
  const region = opts.region ?? central.AWS_REGION;
  if (!region) throw new Error('offboard needs the node\'s region: --region REGION or AWS_REGION');
  const client = await connectClient(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE);
  const handle = await startOffboarding(client, {
    nodeName: opts.nodeName,
    cluster: central.CLUSTER_NAME,
    region,
    nodeEniName: opts.nodeEniName,
    reason: opts.reason ?? 'requested by eniflow offboard',
  });
  console.log(`offboarding ${opts.nodeName}: workflow ${handle.workflowId}`);
  if (!opts.wait) return 0;
  const result = await handle.result();
  const progress = await readOffboardProgress(client, opts.nodeName, opts.nodeEniName);
  console.log(table(['ENI', 'NODEENI', 'STATUS', 'DETAIL'], (progress?.enis ?? []).map((e) => [e.eniId, e.nodeEniName ?? '', e.status, e.detail ?? ''])));
  console.log(`${result.released.length} ENIs released`);
  for (const w of result.warnings) console.log(`warning: ${w}`);
  return 0;
}

/** Every node that has an onboarding workflow (any run), from Temporal's visibility store. */
async function onboardedNodes(client: Awaited<ReturnType<typeof connectClient>>): Promise<string[]> {
  const seen = new Set<string>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'onboardNode'` })) {
    seen.add(wf.workflowId.replace(/^onboard\//, ''));
  }
  return [...seen].sort();
}

/** `eniflow watch`: every node's onboarding, live (like the demo's view), against any Temporal. */
export async function runWatchCommand(env: TemporalEnv, opts: { once: boolean; intervalMs: number }): Promise<number> {
  const client = await connectClient(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE);
  const live = process.stdout.isTTY === true && !opts.once;
  let printed = 0;
  let stop = false;
  const onSignal = () => (stop = true);
  process.once('SIGINT', onSignal);
  try {
    do {
      const nodes = await onboardedNodes(client);
      const lines = await Promise.all(nodes.map(async (node) => progressLine(await readProgress(client, node).catch(() => undefined), node)));
      const frame = lines.length ? lines.join('\n') : `no onboarding workflows in namespace ${env.TEMPORAL_NAMESPACE} at ${env.TEMPORAL_ADDRESS}`;
      if (live && printed) process.stdout.write(`\x1b[${printed}A\x1b[J`);
      process.stdout.write(frame + '\n');
      printed = frame.split('\n').length;
      if (!opts.once) await new Promise((r) => setTimeout(r, opts.intervalMs));
    } while (!opts.once && !stop);
  } finally {
    process.off('SIGINT', onSignal);
  }
  return 0;
}
