// With 20% of eniflow's EC2 calls throttled (RequestLimitExceeded in EC2's XML), some 5xx and a few
// dropped connections, 10 nodes still onboard completely: exactly 2 ENIs each, hop limit applied.
//
// The faults sit in a second proxy in front of the stack's strict one, used by the central worker
// only: the simulated nodes' hypervisor polling (which stands in for the EC2 data plane, not for
// eniflow) stays unfaulted, so every fault counted here hit one of eniflow's own calls.
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { startEc2Proxy, type Ec2CallEvent, type Ec2Proxy } from '../../src/dev/ec2Proxy';
import { startLocalStack, type LocalStack } from '../../src/dev/stack';
import { startStackWorkers, type StackWorkers, onboardStackNodes } from '../../src/dev/stackWorkers';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { eniInventory, expectExactlyTwoEnisPerNode, motoClient, seedNodes, within } from './eni-checks';

const NODES = 10;
const FAULTS = { throttleRate: 0.2, serverErrorRate: 0.05, dropRate: 0.02, seed: 20240611 };

describe(`${NODES} nodes onboard under EC2 throttling and server errors`, () => {
  let t: TestTemporal;
  let stack: LocalStack;
  let faulty: Ec2Proxy;
  let workers: StackWorkers;
  let moto: EC2Client;

  beforeAll(async () => {
    t = await testTemporal('eni-throttle');
    stack = await startLocalStack({ temporalAddress: t.address, namespace: t.namespace, nodes: seedNodes('throttled', NODES) });
    faulty = await startEc2Proxy({ target: stack.ec2Endpoint, strict: false });
    workers = await startStackWorkers(stack, { logLevel: 'ERROR', ec2Endpoint: faulty.endpoint });
    moto = motoClient(stack);
  }, 120_000);
  afterAll(async () => {
    await workers?.stop();
    moto?.destroy();
    await faulty?.stop();
    await stack?.stop();
    await t?.close();
  });

  test('every node ends with exactly its 2 ENIs and hop limit 2, although many calls failed', async () => {
    const answers: Ec2CallEvent[] = [];
    faulty.events.on('call', (call: Ec2CallEvent) => answers.push(call));
    faulty.setFaults(FAULTS);
    const started = Date.now();

    const handles = await onboardStackNodes(workers.client, stack, { cluster: 'throttle' });
    const results = await within(100_000, `onboarding ${NODES} nodes under faults`, Promise.all(handles.map((h) => h.result())));
    const seconds = (Date.now() - started) / 1000;
    faulty.clearFaults();

    const throttled = answers.filter((a) => a.status === 400 && a.body.includes('<Code>RequestLimitExceeded</Code>')).length;
    const serverErrors = answers.filter((a) => a.status >= 500).length;
    const requests = Object.values(faulty.counts()).reduce((a, b) => a + b, 0);
    const dropped = requests - answers.length;
    console.log(
      `${NODES} nodes in ${seconds.toFixed(1)} s; eniflow sent ${requests} EC2 requests: ${throttled} throttled, ${serverErrors} 5xx, ` +
        `${dropped} dropped; per action ${JSON.stringify(faulty.counts())}`,
    );
    // The faults really happened, and on the calls that matter.
    expect(throttled).toBeGreaterThanOrEqual(Math.floor(requests * 0.1));
    expect(serverErrors).toBeGreaterThan(0);
    const faultedMutations = answers.filter((a) => a.status !== 200 && /^(Create|Attach)NetworkInterface$/.test(a.action)).length;
    expect(faultedMutations).toBeGreaterThan(0);

    expect(results.map((r) => r.enis.length)).toEqual(Array(NODES).fill(2));
    const inventory = await eniInventory(moto, stack);
    expectExactlyTwoEnisPerNode(inventory, stack);
    for (const result of results) {
      expect(result.enis.map((e) => e.eniId)).toEqual(inventory.perNode.get(result.nodeName)!.map((e) => e.eniId));
    }

    const instances = await moto.send(new DescribeInstancesCommand({ InstanceIds: stack.nodes.map((n) => n.instanceId) }));
    const hopLimits = (instances.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.MetadataOptions?.HttpPutResponseHopLimit);
    expect(hopLimits).toEqual(Array(NODES).fill(2));
    // A throttled hop-limit change is retried, never turned into a "could not configure" warning.
    expect(results.flatMap((r) => r.warnings).filter((w) => /hop limit/i.test(w))).toEqual([]);
  }, 150_000);
});
