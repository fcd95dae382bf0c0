// The IMDS simulator over real HTTP: IMDSv2 token semantics, IMDSv1, faults, live snapshots.
import http from 'node:http';
import { startImdsServer, type ImdsServer, type ImdsSnapshot } from '../../src/dev/imdsServer';

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function request(endpoint: string, method: string, path: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${endpoint}${path}`, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end();
  });
}

const token = async (endpoint: string, ttl = '60'): Promise<string> => {
  const r = await request(endpoint, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': ttl });
  expect(r.status).toBe(200);
  return r.body;
};

function baseSnapshot(): ImdsSnapshot {
  return {
    instanceId: 'i-0abc123',
    region: 'eu-west-1',
    availabilityZone: 'eu-west-1a',
    instanceType: 'm5.large',
    privateIpAddress: '10.0.1.10',
    amiId: 'ami-0123',
    httpTokens: 'required',
    httpEndpoint: 'enabled',
    hopLimit: 1,
    interfaces: [
      { mac: '0a:00:00:00:00:01', deviceNumber: 0, interfaceId: 'eni-primary', subnetId: 'subnet-1', vpcId: 'vpc-1', subnetCidr: '10.0.1.0/24', localIpv4s: ['10.0.1.10'], securityGroupIds: ['sg-1', 'sg-2'] },
    ],
  };
}

describe('IMDS simulator', () => {
  let snap: ImdsSnapshot;
  let server: ImdsServer;
  let ep: string;

  beforeEach(async () => {
    snap = baseSnapshot();
    server = await startImdsServer({ source: { snapshot: async () => structuredClone(snap) } });
    ep = server.endpoint;
  });
  afterEach(() => server.stop());

  test('IMDSv2: token PUT echoes the TTL, token reads are served, token-less reads get 401 when required', async () => {
    expect(ep).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const put = await request(ep, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '21600' });
    expect(put.status).toBe(200);
    expect(put.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBe('21600');
    expect(put.body.length).toBeGreaterThan(20);
    const auth = { 'X-aws-ec2-metadata-token': put.body };
    expect(await request(ep, 'GET', '/latest/meta-data/instance-id', auth)).toMatchObject({ status: 200, body: 'i-0abc123' });
    expect((await request(ep, 'HEAD', '/latest/meta-data/instance-id', auth)).status).toBe(200);
    expect((await request(ep, 'GET', '/latest/meta-data/placement/region', auth)).body).toBe('eu-west-1');
    expect((await request(ep, 'GET', '/latest/meta-data/placement/availability-zone', auth)).body).toBe('eu-west-1a');
    expect((await request(ep, 'GET', '/latest/meta-data/mac', auth)).body).toBe('0a:00:00:00:00:01');
    const listing = (await request(ep, 'GET', '/latest/meta-data/', auth)).body.split('\n');
    expect(listing).toEqual(expect.arrayContaining(['instance-id', 'instance-type', 'ami-id', 'local-ipv4', 'local-hostname', 'mac', 'network/', 'placement/']));
    const doc = JSON.parse((await request(ep, 'GET', '/latest/dynamic/instance-identity/document', auth)).body) as Record<string, string>;
    expect(doc).toMatchObject({ instanceId: 'i-0abc123', region: 'eu-west-1', availabilityZone: 'eu-west-1a', instanceType: 'm5.large', privateIp: '10.0.1.10', imageId: 'ami-0123' });
    expect(doc.accountId).toMatch(/^\d{12}$/);
    expect((await request(ep, 'GET', '/latest/meta-data/no-such-thing', auth)).status).toBe(404);
    // The AWS SDK prefixes the endpoint's '/' path: '//latest/...' must be served too.
    expect(await request(ep, 'GET', '//latest/meta-data/instance-type', auth)).toMatchObject({ status: 200, body: 'm5.large' });

    expect((await request(ep, 'GET', '/latest/meta-data/instance-id')).status).toBe(401);
    expect((await request(ep, 'GET', '/latest/meta-data/instance-id', { 'X-aws-ec2-metadata-token': 'forged' })).status).toBe(401);
  });

  test('IMDSv1 is served when tokens are optional, and refused under the v1Disabled fault', async () => {
    snap.httpTokens = 'optional';
    expect(await request(ep, 'GET', '/latest/meta-data/instance-id')).toMatchObject({ status: 200, body: 'i-0abc123' });
    // A bad token is still a 401 even when v1 would be allowed.
    expect((await request(ep, 'GET', '/latest/meta-data/instance-id', { 'X-aws-ec2-metadata-token': 'forged' })).status).toBe(401);
    server.setFaults({ v1Disabled: true });
    expect((await request(ep, 'GET', '/latest/meta-data/instance-id')).status).toBe(401);
    const t = await token(ep);
    expect((await request(ep, 'GET', '/latest/meta-data/instance-id', { 'X-aws-ec2-metadata-token': t })).status).toBe(200);
  });

  test('TTL outside 1..21600 or missing is 400; X-Forwarded-For is 403; GET on the token path is 405', async () => {
    for (const ttl of ['0', '21601', '-5', 'abc', '']) {
      expect((await request(ep, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': ttl })).status).toBe(400);
    }
    expect((await request(ep, 'PUT', '/latest/api/token')).status).toBe(400);
    expect((await request(ep, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '1' })).status).toBe(200);
    expect((await request(ep, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '60', 'X-Forwarded-For': '10.0.0.1' })).status).toBe(403);
    expect((await request(ep, 'GET', '/latest/api/token')).status).toBe(405);
  });

  test('an expired token gets 401', async () => {
    const t = await token(ep, '1');
    expect((await request(ep, 'GET', '/latest/meta-data/instance-id', { 'X-aws-ec2-metadata-token': t })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await request(ep, 'GET', '/latest/meta-data/instance-id', { 'X-aws-ec2-metadata-token': t })).status).toBe(401);
  });

  test('token faults: 403, 404, 405 answer that status; hang never answers until the client gives up', async () => {
    for (const status of [403, 404, 405] as const) {
      server.setFaults({ tokenStatus: status });
      expect((await request(ep, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '60' })).status).toBe(status);
    }
    server.setFaults({ tokenHang: true });
    const started = Date.now();
    await expect(request(ep, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '60' }, 700)).rejects.toThrow(/client timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    server.setFaults({});
    expect((await request(ep, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '60' })).status).toBe(200);
  });

  test('stop() ends a hanging token request', async () => {
    server.setFaults({ tokenHang: true });
    const pending = request(ep, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '60' }, 30_000).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await server.stop();
    // The socket is closed under the client (Node's errors come from another realm than jest's Error).
    expect(String(await pending)).toMatch(/socket hang up|ECONNRESET/);
    expect(Date.now() - started).toBeLessThan(2000);
    server = await startImdsServer({ source: { snapshot: async () => snap } }); // for afterEach
  });

  test('httpEndpoint disabled answers 403 to everything', async () => {
    snap.httpEndpoint = 'disabled';
    expect((await request(ep, 'PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '60' })).status).toBe(403);
    expect((await request(ep, 'GET', '/latest/meta-data/instance-id')).status).toBe(403);
  });

  test('the macs listing follows the source: an ENI added later appears with its details', async () => {
    const auth = { 'X-aws-ec2-metadata-token': await token(ep) };
    const macs = async () => (await request(ep, 'GET', '/latest/meta-data/network/interfaces/macs/', auth)).body;
    expect(await macs()).toBe('0a:00:00:00:00:01/');
    snap.interfaces.push({ mac: '0a:00:00:00:00:02', deviceNumber: 2, interfaceId: 'eni-second', subnetId: 'subnet-2', vpcId: 'vpc-1', subnetCidr: '10.0.2.0/24', localIpv4s: ['10.0.2.20', '10.0.2.21'], securityGroupIds: ['sg-3'] });
    expect(await macs()).toBe('0a:00:00:00:00:01/\n0a:00:00:00:00:02/');
    const base = '/latest/meta-data/network/interfaces/macs/0a:00:00:00:00:02/';
    const entries = (await request(ep, 'GET', base, auth)).body.split('\n');
    expect(entries).toEqual(expect.arrayContaining(['device-number', 'interface-id', 'subnet-id', 'vpc-id', 'local-ipv4s', 'security-group-ids', 'subnet-ipv4-cidr-block', 'mac']));
    const get = async (leaf: string) => (await request(ep, 'GET', base + leaf, auth)).body;
    expect(await get('device-number')).toBe('2');
    expect(await get('interface-id')).toBe('eni-second');
    expect(await get('subnet-id')).toBe('subnet-2');
    expect(await get('vpc-id')).toBe('vpc-1');
    expect(await get('local-ipv4s')).toBe('10.0.2.20\n10.0.2.21');
    expect(await get('security-group-ids')).toBe('sg-3');
    expect(await get('subnet-ipv4-cidr-block')).toBe('10.0.2.0/24');
    expect((await request(ep, 'GET', base + 'device-number/', auth)).status).toBe(404);
    snap.interfaces.pop();
    expect(await macs()).toBe('0a:00:00:00:00:01/');
    expect((await request(ep, 'GET', base + 'device-number', auth)).status).toBe(404);
  });

  test('a failing source answers 500 with the reason', async () => {
    await server.stop();
    server = await startImdsServer({ source: { snapshot: async () => Promise.reject(new Error('instance i-gone not found')) } });
    const r = await request(server.endpoint, 'GET', '/latest/meta-data/instance-id');
    expect(r.status).toBe(500);
    expect(r.body).toContain('i-gone');
  });
});
