// The src/aws wrappers against a real moto, through the AWS-strict EC2 proxy.
import { DescribeInstancesCommand, DescribeNetworkInterfacesCommand, ModifyInstanceMetadataOptionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../../src/aws/ec2Client';
import {
  attachEni,
  createEni,
  deleteEni,
  describeEni,
  detachEni,
  findEnisByTags,
  listInstanceEnis,
  setDeleteOnTermination,
  setSecurityGroups,
} from '../../src/aws/enis';
import { classifyAwsError } from '../../src/aws/errors';
import { describeInstance, setHopLimit, waitMetadataApplied } from '../../src/aws/instances';
import { ReferenceNotFoundError, resolveSecurityGroups, resolveSubnets } from '../../src/aws/subnets';
import { seedCloud, type SeededCloud } from '../../src/dev/cloud';
import { startEc2Proxy, type Ec2CallEvent, type Ec2Proxy } from '../../src/dev/ec2Proxy';
import { DEV_CREDENTIALS, startMoto, type MotoServer } from '../../src/dev/moto';

const REGION = 'eu-west-1';

let moto: MotoServer;
let proxy: Ec2Proxy;
let ec2: EC2Client;
let direct: EC2Client; // straight to moto, to see what the proxy hides
let cloud: SeededCloud;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startEc2Proxy({ target: moto.endpoint });
  ec2 = createEc2Client({ region: REGION, endpoint: proxy.endpoint, credentials: DEV_CREDENTIALS, maxAttempts: 1 });
  direct = createEc2Client({ region: REGION, endpoint: moto.endpoint, credentials: DEV_CREDENTIALS, maxAttempts: 1 });
  cloud = await seedCloud(ec2, {
    region: REGION,
    nodes: [
      { name: 'node-req', httpTokens: 'required', hopLimit: 1 },
      { name: 'node-opt', httpTokens: 'optional', hopLimit: 1 },
      { name: 'node-three', httpTokens: 'required', hopLimit: 3 },
    ],
  });
}, 60_000);

afterAll(async () => {
  ec2?.destroy();
  direct?.destroy();
  await proxy?.stop();
  await moto?.stop();
});

afterEach(() => proxy.clearFaults());

const node = (name: string) => {
  const found = cloud.instances.find((i) => i.nodeName === name);
  if (!found) throw new Error(`no seeded node ${name}`);
  return found;
};

async function newEni(token: string, subnetIndex = 0) {
  return createEni(ec2, {
    subnetId: cloud.subnets[subnetIndex].subnetId,
    securityGroupIds: [cloud.securityGroups[0].groupId],
    description: `test ${token}`,
    tags: { Test: token, Owner: 'aws-enis-test' },
    clientToken: token,
  });
}

describe('seeded cloud', () => {
  test('has a VPC, two subnets in two AZs, the security group and one instance per node', () => {
    expect(cloud.vpcId).toMatch(/^vpc-/);
    expect(cloud.subnets.map((s) => s.name)).toEqual(['eniflow-nodes-a', 'eniflow-multus-1', 'eniflow-multus-2', 'eniflow-nodes-b', 'eniflow-multus-b']);
    expect(new Set(cloud.subnets.map((s) => s.availabilityZone)).size).toBe(2);
    expect(new Set(cloud.subnets.map((s) => s.availabilityZone)).size).toBe(2);
    expect(cloud.subnets.every((s) => s.availabilityZone.startsWith(REGION))).toBe(true);
    expect(cloud.securityGroups).toEqual([{ groupId: expect.stringMatching(/^sg-/), name: 'eniflow-multus' }]);
    expect(cloud.instances).toHaveLength(3);
    for (const i of cloud.instances) {
      expect(i.instanceId).toMatch(/^i-/);
      expect(i.primaryMac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(i.primaryEniId).toMatch(/^eni-/);
      expect(i.privateIpAddress).toMatch(/^10\.42\.0\./);
    }
  });

  test('describeInstance shows the metadata options as seeded and the primary ENI', async () => {
    const req = await describeInstance(ec2, node('node-req').instanceId);
    expect(req.metadataOptions).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 1, httpEndpoint: 'enabled', state: 'applied' });
    expect(req.vpcId).toBe(cloud.vpcId);
    expect(req.state).toBe('running');
    expect(req.networkInterfaces).toHaveLength(1);
    expect(req.networkInterfaces[0]).toMatchObject({
      eniId: node('node-req').primaryEniId,
      mac: node('node-req').primaryMac,
      attachment: { deviceIndex: 0, instanceId: node('node-req').instanceId, status: 'attached' },
    });
    const three = await describeInstance(ec2, node('node-three').instanceId);
    expect(three.metadataOptions.httpPutResponseHopLimit).toBe(3);
    const opt = await describeInstance(ec2, node('node-opt').instanceId);
    expect(opt.metadataOptions.httpTokens).toBe('optional');
  });
});

describe('hop limit', () => {
  test.each([
    ['node-req', 'required'],
    ['node-opt', 'optional'],
  ])('setHopLimit on %s keeps HttpTokens=%s and touches no other instance', async (name, tokens) => {
    const before = await describeInstance(ec2, node(name).instanceId);
    const others = await Promise.all(cloud.instances.filter((i) => i.nodeName !== name).map((i) => describeInstance(ec2, i.instanceId)));
    await setHopLimit(ec2, before.instanceId, before.metadataOptions, 2);
    let polls = 0;
    const applied = await waitMetadataApplied(ec2, node(name).instanceId, 2, { timeoutMs: 5000, intervalMs: 50, onPoll: () => polls++ });
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(applied).toEqual({ ...before.metadataOptions, httpPutResponseHopLimit: 2, httpTokens: tokens, state: 'applied' });
    for (const other of others) expect((await describeInstance(ec2, other.instanceId)).metadataOptions).toEqual(other.metadataOptions);
  });

  test('the proxy keeps unspecified metadata fields even for a bare hop-limit change', async () => {
    const id = node('node-three').instanceId;
    await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpPutResponseHopLimit: 4 }));
    expect((await describeInstance(direct, id)).metadataOptions).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 4, httpEndpoint: 'enabled' });
    // moto alone drops the other fields (this is why the proxy exists); if moto fixes it, this tells us.
    await direct.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpPutResponseHopLimit: 3 }));
    const raw = await direct.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(raw.Reservations?.[0]?.Instances?.[0]?.MetadataOptions?.HttpTokens).toBeUndefined();
    // put the seeded state back for the other tests
    await direct.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpPutResponseHopLimit: 3, HttpTokens: 'required', HttpEndpoint: 'enabled' }));
  });

  test('waitMetadataApplied times out with a message naming the instance', async () => {
    const id = node('node-opt').instanceId;
    await expect(waitMetadataApplied(ec2, id, 9, { timeoutMs: 150, intervalMs: 50 })).rejects.toThrow(new RegExp(`${id}.*hop limit 9`));
  });
});

describe('ENIs', () => {
  test('same ClientToken twice through the proxy → one ENI; moto alone would make two', async () => {
    const first = await newEni('tok-same');
    const second = await newEni('tok-same');
    expect(second.eniId).toBe(first.eniId);
    expect(first).toMatchObject({ subnetId: cloud.subnets[0].subnetId, status: 'available', securityGroupIds: [cloud.securityGroups[0].groupId] });
    expect(first.tags).toMatchObject({ Test: 'tok-same', Owner: 'aws-enis-test' });
    expect(first.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect((await findEnisByTags(ec2, { Test: 'tok-same' })).map((e) => e.eniId)).toEqual([first.eniId]);
    // the same token with other parameters is refused, as on AWS
    const mismatch = await newEni('tok-same', 1).catch((e: unknown) => e);
    expect(classifyAwsError(mismatch)).toMatchObject({ code: 'IdempotentParameterMismatch', retryable: false });
    // concurrent retries with one token still make one ENI
    const racing = await Promise.all([newEni('tok-race'), newEni('tok-race'), newEni('tok-race')]);
    expect(new Set(racing.map((e) => e.eniId)).size).toBe(1);
    expect(await findEnisByTags(ec2, { Test: 'tok-race' })).toHaveLength(1);
    await deleteEni(ec2, racing[0].eniId);
    // a different token is a different ENI
    const other = await newEni('tok-other');
    expect(other.eniId).not.toBe(first.eniId);
    await deleteEni(ec2, first.eniId);
    await deleteEni(ec2, other.eniId);
  });

  test('attach, device index conflict, delete attached → InUse, detach + delete', async () => {
    const instanceId = node('node-req').instanceId;
    const a = await newEni('tok-attach-a');
    const b = await newEni('tok-attach-b');
    const attachmentId = await attachEni(ec2, { eniId: a.eniId, instanceId, deviceIndex: 1 });
    expect(attachmentId).toMatch(/^eni-attach-/);

    const conflict = await attachEni(ec2, { eniId: b.eniId, instanceId, deviceIndex: 1 }).catch((e: unknown) => e);
    expect(classifyAwsError(conflict)).toMatchObject({ code: 'InvalidParameterValue', retryable: false });
    expect(classifyAwsError(conflict).message).toMatch(/device index '1'/);

    const inUse = await deleteEni(ec2, a.eniId).catch((e: unknown) => e);
    expect(classifyAwsError(inUse).code).toBe('InvalidNetworkInterface.InUse');
    expect(await describeEni(ec2, a.eniId)).toBeDefined();

    const attached = await describeEni(ec2, a.eniId);
    expect(attached?.attachment).toMatchObject({ attachmentId, instanceId, deviceIndex: 1, status: 'attached', deleteOnTermination: false });
    expect((await listInstanceEnis(ec2, instanceId)).map((e) => e.eniId).sort()).toEqual([node('node-req').primaryEniId, a.eniId].sort());
    expect((await describeInstance(ec2, instanceId)).networkInterfaces.map((e) => e.attachment?.deviceIndex)).toEqual([0, 1]);

    await setDeleteOnTermination(ec2, { eniId: a.eniId, attachmentId, deleteOnTermination: true });
    expect((await describeEni(ec2, a.eniId))?.attachment?.deleteOnTermination).toBe(true);
    const fromInstance = (await describeInstance(ec2, instanceId)).networkInterfaces.find((e) => e.eniId === a.eniId);
    expect(fromInstance?.attachment?.deleteOnTermination).toBe(true);

    await detachEni(ec2, attachmentId, false);
    expect((await describeEni(ec2, a.eniId))?.attachment).toBeUndefined();
    await detachEni(ec2, attachmentId, false); // already gone: done
    await deleteEni(ec2, a.eniId);
    expect(await describeEni(ec2, a.eniId)).toBeUndefined();
    await deleteEni(ec2, a.eniId); // already gone: done

    // the index is free again
    const again = await attachEni(ec2, { eniId: b.eniId, instanceId, deviceIndex: 1 });
    await detachEni(ec2, again, true);
    await deleteEni(ec2, b.eniId);
  });

  test('setSecurityGroups replaces the groups', async () => {
    const eni = await createEni(ec2, { subnetId: cloud.subnets[1].subnetId, securityGroupIds: [], description: 'sg', tags: { Test: 'sg' }, clientToken: 'tok-sg' });
    expect(eni.securityGroupIds).not.toEqual([cloud.securityGroups[0].groupId]);
    await setSecurityGroups(ec2, eni.eniId, [cloud.securityGroups[0].groupId]);
    expect((await describeEni(ec2, eni.eniId))?.securityGroupIds).toEqual([cloud.securityGroups[0].groupId]);
    await deleteEni(ec2, eni.eniId);
  });
});

describe('references', () => {
  test('resolveSubnets by name and ID, in order, de-duplicated', async () => {
    const [a, b] = cloud.subnets;
    const resolved = await resolveSubnets(ec2, { vpcId: cloud.vpcId, ids: [b.subnetId], names: ['eniflow-nodes-a', 'eniflow-multus-1'] });
    expect(resolved).toEqual([
      { subnetId: b.subnetId, cidrBlock: b.cidrBlock, availabilityZone: b.availabilityZone, name: 'eniflow-multus-1' },
      { subnetId: a.subnetId, cidrBlock: a.cidrBlock, availabilityZone: a.availabilityZone, name: 'eniflow-nodes-a' },
    ]);
  });

  test('resolveSubnets names the unknown name, the unknown ID and the foreign VPC', async () => {
    const unknownName = await resolveSubnets(ec2, { vpcId: cloud.vpcId, ids: [], names: ['eniflow-zz'] }).catch((e: unknown) => e);
    expect(unknownName).toBeInstanceOf(ReferenceNotFoundError);
    expect((unknownName as ReferenceNotFoundError).message).toMatch(/eniflow-zz/);
    expect(classifyAwsError(unknownName).retryable).toBe(false);
    await expect(resolveSubnets(ec2, { vpcId: cloud.vpcId, ids: ['subnet-0123456789abcdef0'], names: [] })).rejects.toThrow(/subnet-0123456789abcdef0/);
    await expect(resolveSubnets(ec2, { vpcId: 'vpc-00000000', ids: [cloud.subnets[0].subnetId], names: [] })).rejects.toThrow(/not in the node's VPC vpc-00000000/);
  });

  test('resolveSecurityGroups by group name and ID; unknown name throws', async () => {
    const groupId = cloud.securityGroups[0].groupId;
    expect(await resolveSecurityGroups(ec2, { vpcId: cloud.vpcId, ids: [groupId], names: ['eniflow-multus'] })).toEqual([groupId]);
    await expect(resolveSecurityGroups(ec2, { vpcId: cloud.vpcId, ids: [], names: ['nope'] })).rejects.toThrow(/nope/);
  });
});

describe('proxy', () => {
  test('counts() counts calls per action and resetCounts() clears', async () => {
    proxy.resetCounts();
    await describeInstance(ec2, node('node-opt').instanceId);
    await describeInstance(ec2, node('node-req').instanceId);
    await describeEni(ec2, node('node-opt').primaryEniId);
    expect(proxy.counts()).toEqual({ DescribeInstances: 2, DescribeNetworkInterfaces: 1 });
    proxy.resetCounts();
    expect(proxy.counts()).toEqual({});
  });

  test("emits 'call' events with action, params and status", async () => {
    const seen: Ec2CallEvent[] = [];
    const listener = (e: Ec2CallEvent) => seen.push(e);
    proxy.events.on('call', listener);
    try {
      await describeEni(ec2, node('node-opt').primaryEniId);
    } finally {
      proxy.events.off('call', listener);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ action: 'DescribeNetworkInterfaces', status: 200, region: REGION });
    expect(seen[0].params['NetworkInterfaceId.1']).toBe(node('node-opt').primaryEniId);
    expect(seen[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  test('throttling surfaces as RequestLimitExceeded, classified retryable; other actions unaffected', async () => {
    proxy.setFaults({ throttleRate: 1, actions: ['DescribeInstances'], seed: 1 });
    const err = await describeInstance(ec2, node('node-opt').instanceId).catch((e: unknown) => e);
    expect((err as Error).name).toBe('RequestLimitExceeded');
    expect(classifyAwsError(err)).toMatchObject({ code: 'RequestLimitExceeded', retryable: true });
    expect(await describeEni(ec2, node('node-opt').primaryEniId)).toBeDefined();
  });

  test('server errors and dropped connections are retryable; the SDK retries through them', async () => {
    proxy.setFaults({ serverErrorRate: 1, actions: ['DescribeInstances'] });
    const err = await describeInstance(ec2, node('node-opt').instanceId).catch((e: unknown) => e);
    expect(['InternalError', 'Unavailable']).toContain(classifyAwsError(err).code);
    expect(classifyAwsError(err).retryable).toBe(true);

    proxy.setFaults({ dropRate: 1, actions: ['DescribeInstances'] });
    const dropped = await describeInstance(ec2, node('node-opt').instanceId).catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(Error);
    expect(classifyAwsError(dropped).retryable).toBe(true);

    // Half the calls throttled (seeded): a client with retries still gets through.
    proxy.setFaults({ throttleRate: 0.5, actions: ['DescribeInstances'], seed: 7 });
    const patient = createEc2Client({ region: REGION, endpoint: proxy.endpoint, credentials: DEV_CREDENTIALS, maxAttempts: 10 });
    proxy.resetCounts();
    try {
      for (let i = 0; i < 3; i++) expect((await describeInstance(patient, node('node-opt').instanceId)).instanceId).toBe(node('node-opt').instanceId);
    } finally {
      patient.destroy();
    }
    expect(proxy.counts().DescribeInstances).toBeGreaterThan(3);
  });

  test('failNext injects one error for one action, then calls pass again', async () => {
    proxy.failNext('DescribeNetworkInterfaces', 'UnauthorizedOperation', 403, 'You are not authorized to perform this operation. User: x is not authorized to perform: ec2:DescribeNetworkInterfaces');
    const err = await describeEni(ec2, node('node-opt').primaryEniId).catch((e: unknown) => e);
    expect(classifyAwsError(err)).toMatchObject({ code: 'UnauthorizedOperation', retryable: false });
    expect(classifyAwsError(err).remedy).toMatch(/ec2:DescribeNetworkInterfaces/);
    expect(await describeEni(ec2, node('node-opt').primaryEniId)).toBeDefined();
  });

  test('delay applies to the chosen actions', async () => {
    proxy.setFaults({ delayMs: 300, actions: ['DescribeNetworkInterfaces'] });
    const started = Date.now();
    await describeEni(ec2, node('node-opt').primaryEniId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('strict: false passes moto behaviour through (a second ENI for the same token)', async () => {
    const lax = await startEc2Proxy({ target: moto.endpoint, strict: false });
    const laxEc2 = createEc2Client({ region: REGION, endpoint: lax.endpoint, credentials: DEV_CREDENTIALS, maxAttempts: 1 });
    try {
      const input = { subnetId: cloud.subnets[0].subnetId, securityGroupIds: [], description: 'lax', tags: { Test: 'lax' }, clientToken: 'tok-lax' };
      const one = await createEni(laxEc2, input);
      const two = await createEni(laxEc2, input);
      expect(two.eniId).not.toBe(one.eniId);
      const listed = await direct.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'tag:Test', Values: ['lax'] }] }));
      expect(listed.NetworkInterfaces).toHaveLength(2);
      await deleteEni(laxEc2, one.eniId);
      await deleteEni(laxEc2, two.eniId);
    } finally {
      laxEc2.destroy();
      await lax.stop();
    }
  });
});
