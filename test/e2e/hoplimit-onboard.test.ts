// The seed's promise on the whole onboarding path: a missing ec2:ModifyInstanceMetadataOptions
// permission (403 UnauthorizedOperation from the strict proxy) never fails onboarding; the node ends
// Ready with the seed's warning on its status, and only its own instance was asked to change.
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startLocalStack, type LocalStack } from '../../src/dev/stack';
import { startStackWorkers, type StackWorkers } from '../../src/dev/stackWorkers';
import { DEV_CREDENTIALS } from '../../src/dev/moto';
import { samplePolicy } from '../../src/dev/sampleNodeEni';
import { startOnboarding } from '../../src/cli/workflowClient';
import { progressQuery } from '../../src/workflows/definitions';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

describe('hop-limit auto-configuration inside the onboarding workflow', () => {
  let t: TestTemporal;
  let stack: LocalStack;
  let workers: StackWorkers;
  let moto: EC2Client;

  beforeAll(async () => {
    t = await testTemporal('hoplimit');
    stack = await startLocalStack({
      temporalAddress: t.address,
      namespace: t.namespace,
      nodeMode: 'memory',
      nodes: [
        { name: 'hl-denied', httpTokens: 'required', hopLimit: 1 },
        { name: 'hl-al2', httpTokens: 'optional', hopLimit: 1 },
        { name: 'hl-off', httpTokens: 'required', hopLimit: 1 },
      ],
    });
    workers = await startStackWorkers(stack, { logLevel: 'ERROR' });
    moto = new EC2Client({ region: stack.region, endpoint: stack.motoEndpoint, credentials: DEV_CREDENTIALS });
  });
  afterAll(async () => {
    await workers?.stop();
    await stack?.stop();
    moto?.destroy();
    await t?.close();
  });

  const node = (name: string) => stack.nodes.find((n) => n.name === name)!;
  const onboard = (name: string, autoConfigure = true) =>
    startOnboarding(workers.client, {
      nodeName: name,
      cluster: 'hoplimit',
      providerID: node(name).providerID,
      policies: [samplePolicy()],
      imds: { autoConfigure, hopLimit: 2 },
    });

  async function metadataOf(instanceId: string) {
    const res = await moto.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return res.Reservations?.[0]?.Instances?.[0]?.MetadataOptions;
  }

  it('403 UnauthorizedOperation on ModifyInstanceMetadataOptions: Ready, with the seed\'s warning and remedy in progress.warnings', async () => {
    const modifies: string[] = [];
    stack.proxy.events.on('call', (c: { action: string; params: Record<string, string> }) => {
      if (c.action === 'ModifyInstanceMetadataOptions') modifies.push(c.params.InstanceId);
    });
    stack.proxy.failNext('ModifyInstanceMetadataOptions', 'UnauthorizedOperation', 403, 'You are not authorized to perform this operation.');
    const handle = await onboard('hl-denied');
    const result = await handle.result();
    const progress = await handle.query(progressQuery);

    expect(progress.phase).toBe('Ready');
    expect(progress.enis.map((e) => e.status)).toEqual(['configured', 'configured']);
    const warning = result.warnings.find((w) => w.startsWith('Failed to configure IMDS hop limit'));
    expect(warning).toContain(
      'Failed to configure IMDS hop limit, continuing with default configuration: failed to modify IMDS hop limit: operation error EC2: ModifyInstanceMetadataOptions, https response error StatusCode: 403',
    );
    expect(warning).toContain('ec2:ModifyInstanceMetadataOptions permission');
    expect(warning).toContain('IMDS_AUTO_CONFIGURE_HOP_LIMIT=false');
    expect(progress.warnings).toContain(warning);
    expect(progress.steps.find((s) => s.name === 'ensureHopLimit')?.status).toBe('warning');
    // Only the node's own instance was asked; it keeps hop limit 1 and HttpTokens=required.
    expect(modifies).toEqual([node('hl-denied').instanceId]);
    expect(await metadataOf(node('hl-denied').instanceId)).toMatchObject({ HttpPutResponseHopLimit: 1, HttpTokens: 'required' });
  });

  it('Amazon Linux 2 node: hop limit 1 → 2 through the workflow, HttpTokens stays optional, other instances untouched', async () => {
    const others = await Promise.all(['hl-denied', 'hl-off'].map((n) => metadataOf(node(n).instanceId)));
    const handle = await onboard('hl-al2');
    const result = await handle.result();
    expect(result.warnings.filter((w) => w.includes('hop limit'))).toEqual([]);
    const progress = await handle.query(progressQuery);
    expect(progress.steps.find((s) => s.name === 'ensureHopLimit')?.detail).toMatch(/hop limit 1 → 2/);
    expect(await metadataOf(node('hl-al2').instanceId)).toMatchObject({ HttpPutResponseHopLimit: 2, HttpTokens: 'optional' });
    expect(await Promise.all(['hl-denied', 'hl-off'].map((n) => metadataOf(node(n).instanceId)))).toEqual(others);
  });

  it('IMDS_AUTO_CONFIGURE_HOP_LIMIT=false: Ready, no ModifyInstanceMetadataOptions, hop limit stays 1', async () => {
    const before = stack.proxy.counts().ModifyInstanceMetadataOptions ?? 0;
    const handle = await onboard('hl-off', false);
    await handle.result();
    const progress = await handle.query(progressQuery);
    expect(progress.phase).toBe('Ready');
    expect(progress.steps.find((s) => s.name === 'ensureHopLimit')?.detail).toContain('IMDS_AUTO_CONFIGURE_HOP_LIMIT=false');
    expect(stack.proxy.counts().ModifyInstanceMetadataOptions ?? 0).toBe(before);
    expect((await metadataOf(node('hl-off').instanceId))?.HttpPutResponseHopLimit).toBe(1);
  });
});
