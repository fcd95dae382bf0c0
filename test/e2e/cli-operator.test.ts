// The operator commands against a running Temporal server, as a person types them:
// `eniflow onboard --wait`, `status`, `list`, `offboard --wait`, and their errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startLocalStack, type LocalStack } from '../../src/dev/stack';
import { startStackWorkers, type StackWorkers } from '../../src/dev/stackWorkers';
import { DEV_CREDENTIALS } from '../../src/dev/moto';
import { SAMPLE_NODE_ENI_MANIFEST } from '../../src/dev/sampleNodeEni';
import { runCli } from '../helpers/cli';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

describe('operator commands', () => {
  let t: TestTemporal;
  let stack: LocalStack;
  let workers: StackWorkers;
  let moto: EC2Client;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eniflow-cli-'));
  const manifest = path.join(dir, 'nodeeni.yaml');
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await testTemporal('cli');
    stack = await startLocalStack({ temporalAddress: t.address, namespace: t.namespace, nodes: [{ name: 'cli-node', httpTokens: 'required', hopLimit: 1 }] });
    workers = await startStackWorkers(stack, { logLevel: 'ERROR' });
    moto = new EC2Client({ region: stack.region, endpoint: stack.motoEndpoint, credentials: DEV_CREDENTIALS });
    writeFileSync(manifest, JSON.stringify(SAMPLE_NODE_ENI_MANIFEST)); // JSON is YAML too
    env = { TEMPORAL_ADDRESS: t.address, TEMPORAL_NAMESPACE: t.namespace, CLUSTER_NAME: 'cli', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  });
  afterAll(async () => {
    await workers?.stop();
    await stack?.stop();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const node = () => stack.nodes[0];
  const attached = async () =>
    (await moto.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [node().instanceId] }] }))).NetworkInterfaces!.filter(
      (n) => n.Attachment?.DeviceIndex !== 0,
    );

  it('onboard --wait onboards the node and prints its table', async () => {
    const r = await runCli(['onboard', node().name, '--nodeeni', manifest, '--provider-id', node().providerID, '--wait'], { env, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/onboarding cli-node: workflow onboard\/cli-node/);
    expect(r.stdout).toMatch(/cli-node\s+i-[0-9a-f]+\s+eni-\S+, eni-\S+\s+1, 2\s+\S+, \S+\s+9001\s+Ready/);
    expect(await attached()).toHaveLength(2);
  });

  it('status shows every step and the ENIs; --json is machine-readable', async () => {
    const text = await runCli(['status', node().name], { env });
    expect(text.code).toBe(0);
    for (const step of ['detectInstance', 'verifyImds', 'ensureHopLimit', 'ensureEnis', 'configureInterfaces', 'publishStatus']) {
      expect(text.stdout).toMatch(new RegExp(`${step}\\s+done`));
    }
    const json = await runCli(['status', node().name, '--json'], { env });
    const progress = JSON.parse(json.stdout);
    expect(progress).toMatchObject({ nodeName: 'cli-node', phase: 'Ready', instanceId: node().instanceId });
    expect(progress.enis).toHaveLength(2);
  });

  it('list shows the node with its instance and phase from the search attributes', async () => {
    // Visibility is eventually consistent: give it a moment.
    let rows: Array<Record<string, string>> = [];
    for (let i = 0; i < 30 && !rows.some((r) => r.phase === 'Ready'); i++) {
      rows = JSON.parse((await runCli(['list', '--json'], { env })).stdout);
      if (!rows.some((r) => r.phase === 'Ready')) await new Promise((r) => setTimeout(r, 300));
    }
    expect(rows).toContainEqual(expect.objectContaining({ node: 'cli-node', instance: node().instanceId, phase: 'Ready', status: 'COMPLETED' }));
  });

  it('watch --once shows every node with its six steps done', async () => {
    const r = await runCli(['watch', '--once'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cli-node\s+\[✓✓✓✓✓✓\] Ready\s+i-[0-9a-f]+\s+2 ENIs ready$/m);
  });

  it('offboard --wait takes the ENIs away', async () => {
    const r = await runCli(['offboard', node().name, '--region', stack.region, '--wait'], { env, timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 ENIs released/);
    expect(await attached()).toHaveLength(0);
  });

  it('names what is wrong: a missing manifest, a bad NodeENI, an unknown node', async () => {
    const missing = await runCli(['onboard', 'x', '--nodeeni', path.join(dir, 'nope.yaml')], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.yaml: cannot be read/);

    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, JSON.stringify({ ...SAMPLE_NODE_ENI_MANIFEST, spec: { ...SAMPLE_NODE_ENI_MANIFEST.spec, mtu: 9500 } }));
    const invalid = await runCli(['onboard', 'x', '--nodeeni', bad], { env });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/NodeENI multus-data: spec\.mtu is invalid/);

    const unknown = await runCli(['status', 'no-such-node'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no onboarding workflow onboard\/no-such-node/);
  });
});
