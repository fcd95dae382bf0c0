// eniflow's IMDS client against AWS's own mock (amazon-ec2-metadata-mock), with and without --imdsv2.
import { loadImdsConfig } from '../../src/config/imdsEnv';
import { createImdsClient } from '../../src/aws/imds';
import { isImdsError } from '../../src/aws/imdsMessages';
import { startAemm, type AemmServer } from '../../src/dev/aemm';

/** What AEMM itself serves, read with plain fetch (token-less works only without --imdsv2). */
async function served(endpoint: string, path: string, token?: string): Promise<string> {
  const res = await fetch(`${endpoint}${path}`, { headers: token ? { 'x-aws-ec2-metadata-token': token } : {} });
  if (!res.ok) throw new Error(`AEMM answered ${res.status} for ${path}`);
  return (await res.text()).trim();
}

async function aemmToken(endpoint: string): Promise<string> {
  const res = await fetch(`${endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } });
  return res.text();
}

describe.each([
  { imdsv2: false, label: 'AEMM without --imdsv2 (HttpTokens=optional, Amazon Linux 2)' },
  { imdsv2: true, label: 'AEMM with --imdsv2 (HttpTokens=required, Amazon Linux 2023)' },
])('$label', ({ imdsv2 }) => {
  let aemm: AemmServer;
  beforeAll(async () => {
    aemm = await startAemm({ imdsv2 });
  });
  afterAll(async () => {
    await aemm?.stop();
  });

  it('identity() matches what AEMM serves and was read over IMDSv2', async () => {
    const token = await aemmToken(aemm.endpoint);
    const expected = {
      instanceId: await served(aemm.endpoint, '/latest/meta-data/instance-id', token),
      region: await served(aemm.endpoint, '/latest/meta-data/placement/region', token),
      availabilityZone: await served(aemm.endpoint, '/latest/meta-data/placement/availability-zone', token),
      mac: await served(aemm.endpoint, '/latest/meta-data/mac', token),
    };
    const eni = await served(aemm.endpoint, `/latest/meta-data/network/interfaces/macs/${expected.mac}/interface-id`, token);

    const client = createImdsClient(loadImdsConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aemm.endpoint }));
    const answer = await client.identity();
    expect(answer.imdsVersion).toBe('v2');
    expect(answer.value).toEqual({
      instanceId: expected.instanceId,
      region: expected.region,
      availabilityZone: expected.availabilityZone,
      macs: [{ mac: expected.mac, deviceNumber: 0, interfaceId: eni }],
      source: 'v2',
    });
    expect(answer.value.instanceId).toMatch(/^i-[0-9a-f]+$/);
  });

  it('works with AWS_EC2_METADATA_V1_DISABLED=true, because v2 is tried first', async () => {
    const client = createImdsClient(
      loadImdsConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aemm.endpoint, AWS_EC2_METADATA_V1_DISABLED: 'true' }),
    );
    const answer = await client.get('/latest/meta-data/instance-id');
    expect(answer).toEqual({ value: await served(aemm.endpoint, '/latest/meta-data/instance-id', await aemmToken(aemm.endpoint)), imdsVersion: 'v2' });
  });

  it('reports a missing path as an HTTP error, not as a fallback', async () => {
    const client = createImdsClient(loadImdsConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aemm.endpoint }));
    const err = await client.get('/latest/meta-data/no-such-path').catch((e: unknown) => e);
    expect(isImdsError(err, 'ImdsHttpError')).toBe(true);
    expect(isImdsError(err) && err.statusCode).toBe(404);
  });
});

describe('AEMM --imdsv2 refuses token-less reads', () => {
  let aemm: AemmServer;
  beforeAll(async () => {
    aemm = await startAemm({ imdsv2: true });
  });
  afterAll(async () => {
    await aemm?.stop();
  });
  it('answers 401 to a plain GET, so the client really used a token', async () => {
    const res = await fetch(`${aemm.endpoint}/latest/meta-data/instance-id`);
    expect(res.status).toBe(401);
    const client = createImdsClient(loadImdsConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: aemm.endpoint }));
    await expect(client.get('/latest/meta-data/instance-id')).resolves.toMatchObject({ imdsVersion: 'v2' });
  });
});
