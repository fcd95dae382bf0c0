// Simulated nodes: interfaces follow the instance's attached ENIs; IMDS follows too.
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { ipIn, isRoot, namespaceExists } from '../../src/dev/netns';
import { startSimulatedNode, type SimulatedNode } from '../../src/dev/simulatedNode';
import type { EniFacts, InstanceFacts } from '../../src/domain/types';
import { configureInterface } from '../../src/linux/configure';
import { describeIf } from '../helpers/requires';

const INSTANCE = 'i-0sim000000000001';
const PRIMARY_MAC = '0e:aa:00:00:00:01';

function eni(id: string, mac: string, deviceIndex: number, ip: string): EniFacts {
  return {
    eniId: id,
    mac,
    subnetId: deviceIndex === 0 ? 'subnet-a' : 'subnet-b',
    privateIpAddress: ip,
    securityGroupIds: ['sg-1'],
    status: 'in-use',
    tags: {},
    attachment: { attachmentId: `eni-attach-${id}`, instanceId: INSTANCE, deviceIndex, status: 'attached', deleteOnTermination: true },
  };
}

/** A stand-in for describeInstance(ec2, id) whose answer the test changes to attach/detach. */
function fakeCloud(httpTokens: 'optional' | 'required' = 'required') {
  const facts: InstanceFacts = {
    instanceId: INSTANCE,
    state: 'running',
    vpcId: 'vpc-1',
    subnetId: 'subnet-a',
    availabilityZone: 'us-east-1a',
    instanceType: 't3.medium',
    metadataOptions: { httpTokens, httpPutResponseHopLimit: 1, httpEndpoint: 'enabled', httpProtocolIpv6: 'disabled', instanceMetadataTags: 'disabled', state: 'applied' },
    networkInterfaces: [eni('eni-primary', PRIMARY_MAC, 0, '10.0.1.10')],
  };
  return {
    facts,
    describe: async (id: string): Promise<InstanceFacts> => {
      if (id !== INSTANCE) throw new Error(`no instance ${id}`);
      return structuredClone(facts);
    },
    attach: (e: EniFacts) => facts.networkInterfaces.push(e),
    detach: (mac: string) => (facts.networkInterfaces = facts.networkInterfaces.filter((e) => e.mac !== mac)),
  };
}

interface RawLink {
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
}
async function rawLinks(ns: string): Promise<RawLink[]> {
  return (JSON.parse(await ipIn(ns, ['-j', 'link', 'show'])) as RawLink[]).filter((l) => l.ifname !== 'lo');
}

async function imdsMacs(endpoint: string): Promise<string[]> {
  const imds = new MetadataService({ endpoint, retries: 0 });
  const body = await imds.request('/latest/meta-data/network/interfaces/macs/', {});
  return body.split('\n').filter(Boolean);
}

const describeRoot = describeIf(isRoot() ? undefined : 'they need root to create network namespaces', 'simulated node netns tests');

describeRoot('simulated node in netns mode', () => {
  let node: SimulatedNode | undefined;
  afterEach(async () => node?.stop());

  test('attach + sync plugs a DOWN 1500 interface with the MAC; detach removes it; stop deletes the namespace', async () => {
    const cloud = fakeCloud();
    node = await startSimulatedNode({ name: 'sim-a', instanceId: INSTANCE, region: 'us-east-1', mode: 'netns', describe: cloud.describe, syncIntervalMs: 60_000 });
    const ns = node.netns as string;
    expect(ns).toContain(String(process.pid));
    expect(await namespaceExists(ns)).toBe(true);
    expect(node.primaryMac).toBe(PRIMARY_MAC);
    const lo = (JSON.parse(await ipIn(ns, ['-j', 'link', 'show', 'dev', 'lo'])) as RawLink[])[0];
    expect(lo.flags).toContain('UP');
    expect(await rawLinks(ns)).toEqual([expect.objectContaining({ ifname: 'ens5', address: PRIMARY_MAC, mtu: 9001, flags: expect.arrayContaining(['UP']) })]);

    const mac1 = '0e:bb:00:00:00:01';
    cloud.attach(eni('eni-one', mac1, 1, '10.0.2.11'));
    expect((await rawLinks(ns)).some((l) => l.address === mac1)).toBe(false);
    await node.sync();
    const plugged = (await rawLinks(ns)).find((l) => l.address === mac1);
    expect(plugged).toBeDefined();
    expect(plugged?.mtu).toBe(1500);
    expect(plugged?.flags).not.toContain('UP');
    // Not the name a device-index guess gives (ens6 for device 1): eniflow must match by MAC.
    expect(plugged?.ifname).toMatch(/^ens\d+$/);
    expect(plugged?.ifname).not.toBe('ens6');
    expect(await imdsMacs(node.imdsEndpoint)).toEqual([`${PRIMARY_MAC}/`, `${mac1}/`]);

    // A second sync changes nothing.
    await node.sync();
    expect((await rawLinks(ns)).map((l) => l.ifname)).toEqual(['ens5', plugged?.ifname]);

    // The agent's backend sees it and configures it in the namespace.
    const report = await configureInterface(node.links, { mac: mac1, mtu: 9001, timeoutMs: 5000, protectedMacs: [node.primaryMac] });
    expect(report.after).toMatchObject({ mtu: 9001, up: true });

    cloud.detach(mac1);
    await node.sync();
    expect((await rawLinks(ns)).map((l) => l.address)).toEqual([PRIMARY_MAC]);
    expect(await imdsMacs(node.imdsEndpoint)).toEqual([`${PRIMARY_MAC}/`]);

    await node.stop();
    node = undefined;
    expect(await namespaceExists(ns)).toBe(false);
    expect(await namespaceExists(`${ns}-w`)).toBe(false);
  });

  test('the background sync plugs an attached ENI without an explicit sync()', async () => {
    const cloud = fakeCloud();
    node = await startSimulatedNode({ name: 'sim-b', instanceId: INSTANCE, region: 'us-east-1', mode: 'netns', describe: cloud.describe, syncIntervalMs: 100 });
    const mac2 = '0e:bb:00:00:00:02';
    const waiting = node.links.waitForMac(mac2, { timeoutMs: 10_000 });
    cloud.attach(eni('eni-two', mac2, 2, '10.0.2.12'));
    expect(await waiting).toMatchObject({ mac: mac2, mtu: 1500, up: false });
  });
});

describe('simulated node in memory mode', () => {
  let node: SimulatedNode | undefined;
  afterEach(async () => node?.stop());

  test('interfaces follow attach/detach, and IMDS serves the instance with its token rule', async () => {
    const cloud = fakeCloud('required');
    node = await startSimulatedNode({ name: 'sim-m', instanceId: INSTANCE, region: 'us-east-1', mode: 'memory', describe: cloud.describe, syncIntervalMs: 60_000 });
    expect(node.netns).toBeUndefined();
    expect(await node.links.list()).toEqual([{ name: 'ens5', mac: PRIMARY_MAC, mtu: 9001, up: true }]);

    const imds = new MetadataService({ endpoint: node.imdsEndpoint, retries: 0 });
    expect(await imds.request('/latest/meta-data/instance-id', {})).toBe(INSTANCE);
    const v1 = new MetadataService({ endpoint: node.imdsEndpoint, retries: 0, disableFetchToken: true });
    await expect(v1.request('/latest/meta-data/instance-id', {})).rejects.toThrow();
    cloud.facts.metadataOptions.httpTokens = 'optional';
    expect(await v1.request('/latest/meta-data/instance-id', {})).toBe(INSTANCE);

    const macs = ['0e:cc:00:00:00:01', '0e:cc:00:00:00:02'];
    cloud.attach(eni('eni-c1', macs[0], 1, '10.0.2.21'));
    cloud.attach(eni('eni-c2', macs[1], 2, '10.0.2.22'));
    await node.sync();
    const links = await node.links.list();
    expect(links.map((l) => l.mac)).toEqual([PRIMARY_MAC, ...macs]);
    for (const l of links.slice(1)) expect(l).toMatchObject({ mtu: 1500, up: false });
    expect(await imds.request(`/latest/meta-data/network/interfaces/macs/${macs[1]}/device-number`, {})).toBe('2');
    expect(await imds.request(`/latest/meta-data/network/interfaces/macs/${macs[1]}/interface-id`, {})).toBe('eni-c2');

    cloud.detach(macs[0]);
    await node.sync();
    expect((await node.links.list()).map((l) => l.mac)).toEqual([PRIMARY_MAC, macs[1]]);
  });
});
