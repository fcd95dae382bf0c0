// eniflow's IMDS client against eniflow's own IMDS simulator (src/dev/imdsServer.ts), as on
// Amazon Linux 2023 (HttpTokens=required) and Amazon Linux 2 (HttpTokens=optional).
import { loadImdsConfig } from '../../src/config/imdsEnv';
import { createImdsClient } from '../../src/aws/imds';
import { isImdsError } from '../../src/aws/imdsMessages';
import { startImdsServer, type ImdsServer, type ImdsSnapshot } from '../../src/dev/imdsServer';

function snapshot(httpTokens: 'optional' | 'required'): ImdsSnapshot {
  return {
    instanceId: 'i-0aaaabbbbccccdddd',
    region: 'ap-southeast-2',
    availabilityZone: 'ap-southeast-2c',
    instanceType: 'm5.large',
    privateIpAddress: '10.1.0.10',
    httpTokens,
    httpEndpoint: 'enabled',
    hopLimit: 2,
    interfaces: [
      { mac: '0a:00:00:00:00:11', deviceNumber: 0, interfaceId: 'eni-0000000000000000a', subnetId: 'subnet-1', vpcId: 'vpc-1', localIpv4s: ['10.1.0.10'], securityGroupIds: ['sg-1'] },
      { mac: '0a:00:00:00:00:22', deviceNumber: 2, interfaceId: 'eni-0000000000000000b', subnetId: 'subnet-2', vpcId: 'vpc-1', localIpv4s: ['10.1.1.10'], securityGroupIds: ['sg-1'] },
    ],
  };
}

describe.each([
  { os: 'Amazon Linux 2023', httpTokens: 'required' as const },
  { os: 'Amazon Linux 2', httpTokens: 'optional' as const },
])('IMDS client against the simulator, $os (HttpTokens=$httpTokens)', ({ httpTokens }) => {
  let snap: ImdsSnapshot;
  let server: ImdsServer;
  const client = (env: Record<string, string> = {}) =>
    createImdsClient(loadImdsConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: server.endpoint, AWS_METADATA_SERVICE_TIMEOUT: '0.3', ...env }));

  beforeEach(async () => {
    snap = snapshot(httpTokens);
    server = await startImdsServer({ source: { snapshot: async () => structuredClone(snap) } });
  });
  afterEach(() => server.stop());

  it('identity() over IMDSv2 matches the instance', async () => {
    const answer = await client().identity();
    expect(answer).toEqual({
      imdsVersion: 'v2',
      value: {
        instanceId: snap.instanceId,
        region: snap.region,
        availabilityZone: snap.availabilityZone,
        macs: snap.interfaces.map((i) => ({ mac: i.mac, deviceNumber: i.deviceNumber, interfaceId: i.interfaceId })),
        source: 'v2',
      },
    });
  });

  it('token PUT 405: IMDSv1 serves only when the instance allows it', async () => {
    server.setFaults({ tokenStatus: 405 });
    const attempt = client().get('/latest/meta-data/instance-id');
    if (httpTokens === 'optional') {
      await expect(attempt).resolves.toEqual({ value: snap.instanceId, imdsVersion: 'v1' });
    } else {
      const err = await attempt.catch((e: unknown) => e);
      expect(isImdsError(err, 'ImdsForbidden')).toBe(true);
    }
  });

  it('a token PUT that never answers: v1 when allowed, else the hop-limit error', async () => {
    server.setFaults({ tokenHang: true });
    const attempt = client().get('/latest/meta-data/instance-id');
    if (httpTokens === 'optional') {
      await expect(attempt).resolves.toEqual({ value: snap.instanceId, imdsVersion: 'v1' });
    } else {
      const err = await attempt.catch((e: unknown) => e);
      expect(isImdsError(err, 'ImdsTimeout')).toBe(true);
      expect((err as Error).message).toContain('IMDS_HOP_LIMIT=2');
    }
  });

  it('IMDS endpoint disabled on the instance (403 to everything) → ImdsForbidden', async () => {
    snap.httpEndpoint = 'disabled';
    const err = await client().get('/latest/meta-data/instance-id').catch((e: unknown) => e);
    expect(isImdsError(err, 'ImdsForbidden')).toBe(true);
    expect((err as Error).message).toContain('StatusCode: 403');
  });
});
