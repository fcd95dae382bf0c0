// detectInstance, the first step of the seed's "How It Works": EC2_INSTANCE_ID, IMDS, providerID —
// with a real IMDS client against eniflow's IMDS simulator, run as an activity.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createNodeActivities } from '../../src/activities/node';
import type { InstanceIdentity } from '../../src/domain/types';
import { createImdsClient } from '../../src/aws/imds';
import { loadImdsConfig } from '../../src/config/imdsEnv';
import { createMemoryLinks } from '../../src/linux/memoryLinks';
import { startImdsServer, type ImdsServer, type ImdsSnapshot } from '../../src/dev/imdsServer';

const SNAP: ImdsSnapshot = {
  instanceId: 'i-0aaaabbbbccccdddd',
  region: 'ap-southeast-2',
  availabilityZone: 'ap-southeast-2c',
  instanceType: 'm5.large',
  privateIpAddress: '10.1.0.10',
  httpTokens: 'required',
  httpEndpoint: 'enabled',
  hopLimit: 1,
  interfaces: [{ mac: '0a:00:00:00:00:11', deviceNumber: 0, interfaceId: 'eni-0000000000000000a', subnetId: 'subnet-1', vpcId: 'vpc-1', localIpv4s: ['10.1.0.10'], securityGroupIds: ['sg-1'] }],
};
const ENV_ID = 'i-0123456789abcdef0';
const PROVIDER_ID = 'aws:///eu-central-1b/i-0fedcba9876543210';

describe('detectInstance (seed step 1: EC2_INSTANCE_ID, IMDS, providerID)', () => {
  let server: ImdsServer;
  let requests = 0;
  beforeAll(async () => {
    server = await startImdsServer({
      source: {
        snapshot: async () => {
          requests++;
          return structuredClone(SNAP);
        },
      },
    });
  });
  afterAll(() => server.stop());
  beforeEach(() => (requests = 0));

  function detect(env: Record<string, string>, providerID?: string, awsRegion?: string) {
    const imdsConfig = loadImdsConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: server.endpoint, AWS_METADATA_SERVICE_TIMEOUT: '0.5', ...env });
    const activities = createNodeActivities({ nodeName: 'detect-test', imds: createImdsClient(imdsConfig), imdsConfig, links: createMemoryLinks(), awsRegion });
    return new MockActivityEnvironment().run(activities.detectInstance, { providerID }) as Promise<InstanceIdentity>;
  }

  it('IMDS enabled: the instance from IMDSv2', async () => {
    const id = await detect({});
    expect(id).toMatchObject({ instanceId: SNAP.instanceId, region: SNAP.region, availabilityZone: SNAP.availabilityZone, source: 'v2' });
    expect(id.macs).toHaveLength(1);
  });

  it('IMDS disabled + EC2_INSTANCE_ID + providerID: EC2_INSTANCE_ID with the providerID\'s region, and no IMDS request', async () => {
    const id = await detect({ AWS_EC2_METADATA_DISABLED: 'true', EC2_INSTANCE_ID: ENV_ID }, PROVIDER_ID);
    expect(id).toEqual({ instanceId: ENV_ID, region: 'eu-central-1', availabilityZone: 'eu-central-1b', macs: [], source: 'env' });
    expect(requests).toBe(0);
  });

  it('IMDS disabled + EC2_INSTANCE_ID, no providerID: EC2_INSTANCE_ID with AWS_REGION', async () => {
    const id = await detect({ AWS_EC2_METADATA_DISABLED: 'true', EC2_INSTANCE_ID: ENV_ID }, undefined, 'us-west-2');
    expect(id).toMatchObject({ instanceId: ENV_ID, region: 'us-west-2', source: 'env' });
    expect(requests).toBe(0);
  });

  it('IMDS disabled + EC2_INSTANCE_ID, no providerID, no region: a non-retryable failure that says to set AWS_REGION', async () => {
    const err = await detect({ AWS_EC2_METADATA_DISABLED: 'true', EC2_INSTANCE_ID: ENV_ID }, undefined, '').catch((e: unknown) => e);
    // awsRegion '' stands for "AWS_REGION unset" whatever this test process's environment says.
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'RegionUnknown', nonRetryable: true });
    expect((err as Error).message).toContain('AWS_REGION');
  });

  it('IMDS disabled, no EC2_INSTANCE_ID, no providerID: the seed\'s case 4 message with its remedy', async () => {
    const err = await detect({ AWS_EC2_METADATA_DISABLED: 'true' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'InstanceIdUnknown', nonRetryable: true });
    const message = (err as Error).message;
    expect(message).toContain('Could not determine current instance ID, skipping IMDS hop limit configuration: unable to determine current instance ID');
    expect(message).toContain('set the EC2_INSTANCE_ID environment variable');
    expect(message).toContain('AWS_EC2_METADATA_DISABLED=true');
  });

  it('IMDS disabled, no EC2_INSTANCE_ID, but a providerID: the providerID', async () => {
    const id = await detect({ AWS_EC2_METADATA_DISABLED: 'true' }, PROVIDER_ID);
    expect(id).toMatchObject({ instanceId: 'i-0fedcba9876543210', region: 'eu-central-1', source: 'providerID' });
  });

  it('IMDS enabled + EC2_INSTANCE_ID that differs: EC2_INSTANCE_ID wins, IMDS still gives region and MACs', async () => {
    const id = await detect({ EC2_INSTANCE_ID: ENV_ID });
    expect(id).toMatchObject({ instanceId: ENV_ID, region: SNAP.region, source: 'env' });
    expect(id.macs).toHaveLength(1);
  });
});
