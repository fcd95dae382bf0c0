// Records real workflow histories on the local stack into test/replay/histories/: an onboarding, an
// onboarding that releases an ENI no plan wants any more, and an offboarding. The replay test keeps
// every recorded history replaying, so an accidental non-deterministic change fails CI.
// Record a new set (`npm run record-history -- <tag>`) when the workflows change on purpose; never
// overwrite an old set: running workflows of that version must keep replaying.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';
import { startOffboarding } from '../../src/cli/workflowClient';
import { samplePolicy } from '../../src/dev/sampleNodeEni';
import { startLocalStack } from '../../src/dev/stack';
import { onboardStackNode, startStackWorkers } from '../../src/dev/stackWorkers';
import { PROJECT_ROOT } from '../../src/dev/tools';

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const tag = process.argv[2];
  if (!tag || !/^[a-z0-9.-]+$/.test(tag)) throw new Error('usage: record-history <tag>  (e.g. v2: files are named <tag>-<scenario>.json)');
  const dir = path.join(PROJECT_ROOT, 'test', 'replay', 'histories');
  const fileOf = (scenario: string) => path.join(dir, `${tag}-${scenario}.json`);
  const scenarios = ['onboard', 'onboard-release', 'offboard'];
  const taken = scenarios.map(fileOf).filter((f) => existsSync(f));
  if (taken.length) throw new Error(`${taken.join(', ')} already recorded: pick a new tag, old histories must keep replaying`);
  mkdirSync(dir, { recursive: true });

  const stack = await startLocalStack({ temporal: { ui: false }, nodes: [{ name: 'replay-node', httpTokens: 'required', hopLimit: 1 }] });
  const workers = await startStackWorkers(stack, { logLevel: 'ERROR' });
  const save = async (scenario: string, handle: WorkflowHandle) => {
    const history = await handle.fetchHistory();
    writeFileSync(fileOf(scenario), JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
    console.log(`recorded ${history.events?.length} events to ${fileOf(scenario)}`);
  };
  try {
    const node = stack.nodes[0];
    const first = await onboardStackNode(workers.client, node, { cluster: 'replay' });
    await first.result();
    await save('onboard', first);

    const oneSubnet = samplePolicy();
    oneSubnet.spec = { ...oneSubnet.spec, subnetNames: ['eniflow-multus-1'] };
    const second = await onboardStackNode(workers.client, node, { cluster: 'replay', policies: [oneSubnet] });
    await second.result();
    await save('onboard-release', second);

    const offboard = await startOffboarding(workers.client, { nodeName: node.name, cluster: 'replay', region: stack.region, reason: 'recording' });
    await offboard.result();
    await save('offboard', offboard);
  } finally {
    await workers.stop();
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
