// The seed's "How It Works" against the EC2 emulator (moto) behind eniflow's strict proxy:
// Amazon Linux 2023 (HttpTokens=required) and Amazon Linux 2 (optional) instances, already-correct,
// auto-configuration off, a 403 UnauthorizedOperation, and only the node's own instance touched.
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ensureInstanceHopLimit } from '../../src/aws/hopLimit';
import { createEc2Client } from '../../src/aws/ec2Client';
import { seedCloud, type SeededCloud } from '../../src/dev/cloud';
import { startEc2Proxy, type Ec2Proxy } from '../../src/dev/ec2Proxy';
import { DEV_CREDENTIALS, startMoto, type MotoServer } from '../../src/dev/moto';

const REGION = 'eu-west-1';

describe('ensureInstanceHopLimit against moto through the strict proxy', () => {
  let moto: MotoServer;
  let proxy: Ec2Proxy;
  let ec2: EC2Client;
  let direct: EC2Client;
  let cloud: SeededCloud;

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startEc2Proxy({ target: moto.endpoint });
    ec2 = createEc2Client({ region: REGION, endpoint: proxy.endpoint, credentials: DEV_CREDENTIALS, maxAttempts: 1 });
    direct = new EC2Client({ region: REGION, endpoint: moto.endpoint, credentials: DEV_CREDENTIALS });
    cloud = await seedCloud(ec2, {
      region: REGION,
      nodes: [
        { name: 'al2023', httpTokens: 'required', hopLimit: 1 },
        { name: 'al2', httpTokens: 'optional', hopLimit: 1 },
        { name: 'already-two', httpTokens: 'required', hopLimit: 2 },
        { name: 'auto-off', httpTokens: 'required', hopLimit: 1 },
        { name: 'no-permission', httpTokens: 'required', hopLimit: 1 },
      ],
    });
  });
  afterAll(async () => {
    ec2?.destroy();
    direct?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  const idOf = (name: string) => cloud.instances.find((i) => i.nodeName === name)!.instanceId;

  /** Straight from moto, not through eniflow's code or the proxy. */
  async function optionsOf(): Promise<Record<string, { hopLimit?: number; httpTokens?: string; httpEndpoint?: string }>> {
    const res = await direct.send(new DescribeInstancesCommand({ InstanceIds: cloud.instances.map((i) => i.instanceId) }));
    return Object.fromEntries(
      (res.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .map((i) => [i.InstanceId!, { hopLimit: i.MetadataOptions?.HttpPutResponseHopLimit, httpTokens: i.MetadataOptions?.HttpTokens, httpEndpoint: i.MetadataOptions?.HttpEndpoint }]),
    );
  }

  function run(name: string, opts: { autoConfigure?: boolean; desired?: number } = {}) {
    const lines: string[] = [];
    const result = ensureInstanceHopLimit(ec2, {
      instanceId: idOf(name),
      desired: opts.desired ?? 2,
      autoConfigure: opts.autoConfigure ?? true,
      log: (message, fields) => lines.push(`${message} ${JSON.stringify(fields ?? {})}`),
      pollIntervalMs: 100,
      timeoutMs: 10_000,
    });
    return { result, lines };
  }

  it('Amazon Linux 2023 (required, hop limit 1) → 2, HttpTokens stays required; only that instance changes; every step logged', async () => {
    const before = await optionsOf();
    proxy.resetCounts();
    const { result, lines } = run('al2023');
    const r = await result;
    expect(r.action).toBe('updated');
    expect(r.before?.httpPutResponseHopLimit).toBe(1);
    expect(r.after).toMatchObject({ httpPutResponseHopLimit: 2, httpTokens: 'required', state: 'applied' });
    expect(proxy.counts().ModifyInstanceMetadataOptions).toBe(1);

    const after = await optionsOf();
    expect(after[idOf('al2023')]).toEqual({ hopLimit: 2, httpTokens: 'required', httpEndpoint: 'enabled' });
    for (const other of cloud.instances.filter((i) => i.nodeName !== 'al2023')) expect(after[other.instanceId]).toEqual(before[other.instanceId]);

    expect(lines.map((l) => l.split(' {')[0])).toEqual([
      'Checking IMDS hop limit via DescribeInstances',
      'Current IMDS configuration',
      'Updating IMDS hop limit via ModifyInstanceMetadataOptions',
      'Waiting for the IMDS metadata options to be applied',
      'Successfully configured IMDS hop limit',
    ]);
    expect(lines[1]).toContain('"hopLimit":1');
    expect(lines[2]).toContain('"from":1,"to":2');
  });

  it('Amazon Linux 2 (optional, hop limit 1) → 2, HttpTokens stays optional', async () => {
    const r = await run('al2').result;
    expect(r.action).toBe('updated');
    expect((await optionsOf())[idOf('al2')]).toEqual({ hopLimit: 2, httpTokens: 'optional', httpEndpoint: 'enabled' });
  });

  it('hop limit already 2: no ModifyInstanceMetadataOptions call at all', async () => {
    proxy.resetCounts();
    const { result, lines } = run('already-two');
    const r = await result;
    expect(r.action).toBe('unchanged');
    expect(proxy.counts().ModifyInstanceMetadataOptions ?? 0).toBe(0);
    expect(proxy.counts().DescribeInstances).toBeGreaterThanOrEqual(1);
    expect(lines.join('\n')).toContain('already 2');
  });

  it('IMDS_AUTO_CONFIGURE_HOP_LIMIT=false: nothing changes, and the log says why', async () => {
    proxy.resetCounts();
    const { result, lines } = run('auto-off', { autoConfigure: false });
    const r = await result;
    expect(r.action).toBe('disabled');
    expect(proxy.counts().ModifyInstanceMetadataOptions ?? 0).toBe(0);
    expect((await optionsOf())[idOf('auto-off')].hopLimit).toBe(1);
    expect(lines.join('\n')).toContain('IMDS_AUTO_CONFIGURE_HOP_LIMIT=false');
  });

  it('ModifyInstanceMetadataOptions answered 403 UnauthorizedOperation: a warning in the seed\'s words with the remedy, not a failure', async () => {
    proxy.failNext('ModifyInstanceMetadataOptions', 'UnauthorizedOperation', 403, 'You are not authorized to perform this operation.');
    const { result, lines } = run('no-permission');
    const r = await result;
    expect(r.action).toBe('failed');
    expect(r.warning).toContain(
      'Failed to configure IMDS hop limit, continuing with default configuration: failed to modify IMDS hop limit: operation error EC2: ModifyInstanceMetadataOptions, https response error StatusCode: 403',
    );
    expect(r.warning).toContain('UnauthorizedOperation');
    expect(r.warning).toContain('ec2:ModifyInstanceMetadataOptions permission');
    expect(r.warning).toContain('IMDS_AUTO_CONFIGURE_HOP_LIMIT=false');
    expect(r.warning).toContain(`--instance-id ${idOf('no-permission')} --http-put-response-hop-limit 2`);
    expect(lines.join('\n')).toContain('Failed to configure IMDS hop limit');
    expect((await optionsOf())[idOf('no-permission')].hopLimit).toBe(1);
  });

  it('DescribeInstances answered 403: also a warning (seed case 3), naming ec2:DescribeInstances', async () => {
    proxy.failNext('DescribeInstances', 'UnauthorizedOperation', 403, 'You are not authorized to perform this operation.');
    const r = await run('no-permission').result;
    expect(r.action).toBe('failed');
    expect(r.warning).toContain('Failed to configure IMDS hop limit, continuing with default configuration');
    expect(r.warning).toContain('ec2:DescribeInstances permission');
  });

  it('a throttled ModifyInstanceMetadataOptions is thrown (the activity retries), not swallowed as a warning', async () => {
    proxy.failNext('ModifyInstanceMetadataOptions', 'RequestLimitExceeded', 503, 'Request limit exceeded.');
    await expect(run('no-permission').result).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });
});
