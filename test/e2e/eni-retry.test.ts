// The first retry layer, on real HTTP: eniflow's EC2 client (src/aws/ec2Client.ts) against moto
// behind the fault-injecting proxy. Throttling, 5xx, timeouts and dropped connections are retried by
// the SDK within one call; what outlasts its attempts leaves as a retryable Temporal failure, and
// bad IDs fail at once, non-retryable, with the AWS code and a remedy.
import { DescribeAvailabilityZonesCommand, DescribeSubnetsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client, EC2_DEFAULT_MAX_ATTEMPTS } from '../../src/aws/ec2Client';
import { classifyAwsError } from '../../src/aws/errors';
import { awsFailure } from '../../src/activities/failures';
import { startEc2Proxy, type Ec2Proxy } from '../../src/dev/ec2Proxy';
import { DEV_CREDENTIALS, startMoto, type MotoServer } from '../../src/dev/moto';

const REGION = 'eu-west-1';
const ACTION = 'DescribeAvailabilityZones';

describe("eniflow's EC2 client retries transient failures and only those", () => {
  let moto: MotoServer;
  let proxy: Ec2Proxy;
  const clients: EC2Client[] = [];
  const client = (settings: { maxAttempts?: number; requestTimeoutMs?: number } = {}) => {
    const c = createEc2Client({ region: REGION, endpoint: proxy.endpoint, credentials: DEV_CREDENTIALS, ...settings });
    clients.push(c);
    return c;
  };
  const failure = async (run: Promise<unknown>): Promise<unknown> => {
    try {
      await run;
    } catch (err) {
      return err;
    }
    throw new Error('the call succeeded; a failure was expected');
  };

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startEc2Proxy({ target: moto.endpoint });
  });
  afterEach(() => {
    proxy.clearFaults();
    proxy.resetCounts();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  test('standard retry mode (jittered exponential backoff) with 3 attempts per call', async () => {
    const c = client();
    expect(EC2_DEFAULT_MAX_ATTEMPTS).toBe(3);
    expect(await c.config.maxAttempts()).toBe(3);
    expect(c.config.retryMode).toBe('standard');
    expect(await c.config.retryStrategy()).toMatchObject({ mode: 'standard' });
  });

  test('RequestLimitExceeded twice, then success: one call, three requests', async () => {
    proxy.failNext(ACTION, 'RequestLimitExceeded', 400, 'Request limit exceeded.');
    proxy.failNext(ACTION, 'RequestLimitExceeded', 400, 'Request limit exceeded.');
    const res = await client().send(new DescribeAvailabilityZonesCommand({}));
    expect(res.AvailabilityZones?.length).toBeGreaterThan(0);
    expect(res.$metadata.attempts).toBe(3);
    expect(proxy.counts()[ACTION]).toBe(3);
  });

  test('InternalError and Unavailable are retried like throttling', async () => {
    proxy.failNext(ACTION, 'InternalError', 500, 'An internal error has occurred.');
    proxy.failNext(ACTION, 'Unavailable', 503, 'The service is unavailable.');
    const res = await client().send(new DescribeAvailabilityZonesCommand({}));
    expect(res.$metadata.attempts).toBe(3);
  });

  test('throttled beyond the SDK attempts: a retryable failure for Temporal, with the AWS code', async () => {
    for (let i = 0; i < 3; i++) proxy.failNext(ACTION, 'RequestLimitExceeded', 400, 'Request limit exceeded.');
    const err = await failure(client().send(new DescribeAvailabilityZonesCommand({})));
    expect(proxy.counts()[ACTION]).toBe(3);
    expect(classifyAwsError(err)).toMatchObject({ code: 'RequestLimitExceeded', retryable: true });
    const temporalFailure = awsFailure(err, ACTION);
    expect(temporalFailure.type).toBe('RequestLimitExceeded');
    expect(temporalFailure.nonRetryable).toBe(false);
  });

  test('a bad subnet ID fails on the first request, non-retryable, with a remedy', async () => {
    const err = await failure(client().send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0000000000badbad0'] })));
    expect(proxy.counts().DescribeSubnets).toBe(1);
    const info = classifyAwsError(err);
    expect(info).toMatchObject({ code: 'InvalidSubnetID.NotFound', retryable: false });
    const temporalFailure = awsFailure(err, 'DescribeSubnets');
    expect(temporalFailure.nonRetryable).toBe(true);
    expect(temporalFailure.message).toMatch(/InvalidSubnetID\.NotFound.*Remedy: check subnetID/);
  });

  test('UnauthorizedOperation is not retried and names the permission to add', async () => {
    proxy.failNext(ACTION, 'UnauthorizedOperation', 403, 'You are not authorized to perform this operation.');
    const err = await failure(client().send(new DescribeAvailabilityZonesCommand({})));
    expect(proxy.counts()[ACTION]).toBe(1);
    const temporalFailure = awsFailure(err, 'DescribeAvailabilityZones');
    expect(temporalFailure.nonRetryable).toBe(true);
    expect(temporalFailure.message).toMatch(/UnauthorizedOperation/);
  });

  test('a hung EC2 answer times out and is retried; the failure after the last attempt is retryable', async () => {
    proxy.setFaults({ delayMs: 1500, actions: [ACTION] });
    const started = Date.now();
    const err = await failure(client({ maxAttempts: 2, requestTimeoutMs: 300 }).send(new DescribeAvailabilityZonesCommand({})));
    expect(Date.now() - started).toBeLessThan(1500); // did not wait for the answer
    expect(proxy.counts()[ACTION]).toBe(2);
    const info = classifyAwsError(err);
    expect(['TimeoutError', 'ETIMEDOUT']).toContain(info.code); // the SDK's request timeout surfaces as ETIMEDOUT
    expect(info.retryable).toBe(true);
  });

  test('dropped connections are retried; only a run of them fails, retryable', async () => {
    proxy.setFaults({ dropRate: 1, actions: [ACTION] });
    const err = await failure(client({ maxAttempts: 2 }).send(new DescribeAvailabilityZonesCommand({})));
    expect(proxy.counts()[ACTION]).toBe(2);
    expect(classifyAwsError(err).retryable).toBe(true);
    expect(awsFailure(err, ACTION).nonRetryable).toBe(false);
  });
});
