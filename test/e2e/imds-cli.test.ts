// `eniflow imds --json` as a user runs it (node bin/eniflow.js, built by `npm test`'s pretest), against
// AWS's own IMDS mock (AEMM, with and without --imdsv2), eniflow's simulator and nothing at all.
import http from 'node:http';
import { startAemm, type AemmServer } from '../../src/dev/aemm';
import { startImdsServer, type ImdsServer, type ImdsSnapshot } from '../../src/dev/imdsServer';
import { freePort } from '../../src/dev/ports';
import { runCli as run } from '../helpers/cli';

const runCli = (args: string[], env: Record<string, string>, timeoutMs?: number) => run(args, { env, timeoutMs });

/** A plain IMDSv1/v2 read straight from the endpoint, not through eniflow. */
function rawGet(endpoint: string, p: string, token?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${endpoint}${p}`, { headers: token ? { 'x-aws-ec2-metadata-token': token } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`${p}: ${res.statusCode}`))));
    });
    req.on('error', reject);
  });
}

function rawToken(endpoint: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('error', reject);
    req.end();
  });
}

const SNAP: ImdsSnapshot = {
  instanceId: 'i-0aaaabbbbccccdddd',
  region: 'ap-southeast-2',
  availabilityZone: 'ap-southeast-2c',
  instanceType: 'm5.large',
  privateIpAddress: '10.1.0.10',
  httpTokens: 'required',
  httpEndpoint: 'enabled',
  hopLimit: 2,
  interfaces: [
    { mac: '0a:00:00:00:00:11', deviceNumber: 0, interfaceId: 'eni-0000000000000000a', subnetId: 'subnet-1', vpcId: 'vpc-1', localIpv4s: ['10.1.0.10'], securityGroupIds: ['sg-1'] },
    { mac: '0a:00:00:00:00:22', deviceNumber: 1, interfaceId: 'eni-0000000000000000b', subnetId: 'subnet-2', vpcId: 'vpc-1', localIpv4s: ['10.1.1.10'], securityGroupIds: ['sg-1'] },
  ],
};

describe('eniflow imds --json', () => {
  describe.each([{ imdsv2: false }, { imdsv2: true }])('against AEMM (--imdsv2: $imdsv2)', ({ imdsv2 }) => {
    let aemm: AemmServer;
    beforeAll(async () => {
      aemm = await startAemm({ imdsv2 });
    });
    afterAll(() => aemm?.stop());

    it('prints what AEMM serves, read over IMDSv2', async () => {
      const token = await rawToken(aemm.endpoint);
      const expected = {
        instanceId: await rawGet(aemm.endpoint, '/latest/meta-data/instance-id', token),
        region: await rawGet(aemm.endpoint, '/latest/meta-data/placement/region', token),
        availabilityZone: await rawGet(aemm.endpoint, '/latest/meta-data/placement/availability-zone', token),
      };
      const { code, stdout, stderr } = await runCli(['imds', '--json'], { AWS_EC2_METADATA_SERVICE_ENDPOINT: aemm.endpoint });
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(stdout);
      expect(report).toMatchObject({ ...expected, imdsVersion: 'v2', endpoint: aemm.endpoint, endpointMode: 'IPv4' });
      expect(report.macs.length).toBeGreaterThanOrEqual(1);
      const first = report.macs[0];
      expect(first.interfaceId).toBe(await rawGet(aemm.endpoint, `/latest/meta-data/network/interfaces/macs/${first.mac}/interface-id`, token));
      expect(first.deviceNumber).toBe(Number(await rawGet(aemm.endpoint, `/latest/meta-data/network/interfaces/macs/${first.mac}/device-number`, token)));
    });
  });

  describe('against eniflow\'s IMDS simulator', () => {
    let server: ImdsServer;
    let snap: ImdsSnapshot;
    beforeAll(async () => {
      server = await startImdsServer({ source: { snapshot: async () => structuredClone(snap) } });
    });
    beforeEach(() => {
      snap = structuredClone(SNAP);
      server.setFaults({});
    });
    afterAll(() => server?.stop());

    it('tokens required (Amazon Linux 2023): v2, every MAC with its device number and ENI', async () => {
      const { code, stdout, stderr } = await runCli(['imds', '--json'], { AWS_EC2_METADATA_SERVICE_ENDPOINT: server.endpoint });
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(stdout)).toEqual({
        instanceId: SNAP.instanceId,
        region: SNAP.region,
        availabilityZone: SNAP.availabilityZone,
        imdsVersion: 'v2',
        macs: SNAP.interfaces.map((i) => ({ mac: i.mac, deviceNumber: i.deviceNumber, interfaceId: i.interfaceId })),
        endpoint: server.endpoint,
        endpointMode: 'IPv4',
      });
    });

    it('token PUT answered 405 on an Amazon Linux 2 instance (optional): falls back to v1 and says so', async () => {
      snap.httpTokens = 'optional';
      server.setFaults({ tokenStatus: 405 });
      const { code, stdout } = await runCli(['imds', '--json'], { AWS_EC2_METADATA_SERVICE_ENDPOINT: server.endpoint });
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ instanceId: SNAP.instanceId, imdsVersion: 'v1' });
    });

    it('token PUT answered 403 with tokens required: exit 1, the seed\'s case 2 on stderr', async () => {
      server.setFaults({ tokenStatus: 403 });
      const { code, stdout, stderr } = await runCli(['imds', '--json'], { AWS_EC2_METADATA_SERVICE_ENDPOINT: server.endpoint });
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toContain('operation error ec2imds: GetMetadata, https response error StatusCode: 401');
      expect(stderr).toContain('IMDSv1 is disabled');
    });

    it('token PUT never answers and v1 is disabled: exit 1, the seed\'s case 1 (hop limit) on stderr', async () => {
      server.setFaults({ tokenHang: true });
      const { code, stderr } = await runCli(['imds', '--json'], {
        AWS_EC2_METADATA_SERVICE_ENDPOINT: server.endpoint,
        AWS_EC2_METADATA_V1_DISABLED: 'true',
        AWS_METADATA_SERVICE_TIMEOUT: '0.5',
      });
      expect(code).toBe(1);
      expect(stderr).toContain('request canceled, context deadline exceeded');
      expect(stderr).toContain('hop limit');
    });

    it('human output: a readable summary with the MAC table', async () => {
      const { code, stdout } = await runCli(['imds'], { AWS_EC2_METADATA_SERVICE_ENDPOINT: server.endpoint });
      expect(code).toBe(0);
      expect(stdout).toMatch(/instance ID\s+i-0aaaabbbbccccdddd/);
      expect(stdout).toMatch(/IMDS version\s+v2/);
      expect(stdout).toMatch(/0a:00:00:00:00:22\s+1\s+eni-0000000000000000b/);
    });
  });

  it('nothing listening: exit 1 with the cause on stderr, nothing on stdout', async () => {
    const port = await freePort('127.0.0.1');
    const endpoint = `http://127.0.0.1:${port}`;
    const { code, stdout, stderr } = await runCli(['imds', '--json'], { AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`cannot reach IMDS at ${endpoint}`);
    expect(stderr).toContain('AWS_EC2_METADATA_SERVICE_ENDPOINT');
  });

  it('IMDS disabled: exit 1, says so and what to set', async () => {
    const { code, stderr } = await runCli(['imds', '--json'], { AWS_EC2_METADATA_DISABLED: 'true' });
    expect(code).toBe(1);
    expect(stderr).toContain('AWS_EC2_METADATA_DISABLED=true');
    expect(stderr).toContain('EC2_INSTANCE_ID');
  });

  it('a bad variable: exit 2 naming it', async () => {
    const { code, stderr } = await runCli(['imds', '--json'], { AWS_METADATA_SERVICE_NUM_ATTEMPTS: 'many' });
    expect(code).toBe(2);
    expect(stderr).toContain('AWS_METADATA_SERVICE_NUM_ATTEMPTS="many" is not valid');
  });
});
