// Records the history of one real onboarding on the local stack into test/replay/histories/.
// Run it (`npm run build && node dist/test/replay/record.js [name]`) only when a workflow change is
// meant to be incompatible and is shipped behind a new workflow type or a patch; the replay test then
// keeps every recorded history replaying, so an accidental non-deterministic change fails CI.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startLocalStack } from '../../src/dev/stack';
import { onboardStackNode, startStackWorkers } from '../../src/dev/stackWorkers';
import { PROJECT_ROOT } from '../../src/dev/tools';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'onboard-happy-path';
  const stack = await startLocalStack({ temporal: { ui: false }, nodes: [{ name: 'replay-node', httpTokens: 'required', hopLimit: 1 }] });
  const workers = await startStackWorkers(stack, { logLevel: 'ERROR' });
  try {
    const node = stack.nodes[0];
    const handle = await onboardStackNode(workers.client, node, { cluster: 'replay' });
    await handle.result();
    const history = await handle.fetchHistory();
    const dir = path.join(PROJECT_ROOT, 'test', 'replay', 'histories');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
    console.log(`recorded ${history.events?.length} events to ${file}`);
  } finally {
    await workers.stop();
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
