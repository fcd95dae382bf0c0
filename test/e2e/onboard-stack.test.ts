// The demo's path on real parts: a real Temporal server, moto behind eniflow's strict EC2 proxy,
// simulated nodes (network namespaces when root). Every check reads the emulator or the node
// directly, not eniflow's own view.
import { execFileSync } from 'node:child_process';
import { CreateSecurityGroupCommand, DescribeInstancesCommand, DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startLocalStack, type LocalStack } from '../../src/dev/stack';
import { onboardStackNode, startStackWorkers, type StackWorkers } from '../../src/dev/stackWorkers';
import { DEV_CREDENTIALS } from '../../src/dev/moto';
import { samplePolicy } from '../../src/dev/sampleNodeEni';
import { startOffboarding } from '../../src/cli/workflowClient';
import type { NodeEniPolicy } from '../../src/config/nodeEni';
import { progressQuery } from '../../src/workflows/definitions';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

describe('onboarding 3 simulated nodes end to end', () => {
  let t: TestTemporal;
  let stack: LocalStack;
  let workers: StackWorkers;
  let moto: EC2Client;

  beforeAll(async () => {
    t = await testTemporal('e2e');
    stack = await startLocalStack({ temporalAddress: t.address, namespace: t.namespace });
    if (stack.nodeMode !== 'netns') console.warn(`simulated nodes use in-memory interfaces: ${stack.nodeModeReason}`);
    workers = await startStackWorkers(stack, { logLevel: 'ERROR' });
    moto = new EC2Client({ region: stack.region, endpoint: stack.motoEndpoint, credentials: DEV_CREDENTIALS });
  });
  afterAll(async () => {
    await workers?.stop();
    await stack?.stop();
    await t?.close();
  });

  const onboard = (node: LocalStack['nodes'][number], policies: NodeEniPolicy[] = [samplePolicy()]) =>
    onboardStackNode(workers.client, node, { cluster: 'e2e', policies });

  async function enisOf(instanceId: string) {
    const res = await moto.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }));
    return (res.NetworkInterfaces ?? []).filter((n) => n.Attachment?.DeviceIndex !== 0);
  }

  it('gives every node exactly its 2 ENIs at the planned indices, tagged, and configured on the node', async () => {
    const handles = await Promise.all(stack.nodes.map((n) => onboard(n)));
    await Promise.all(handles.map((h) => h.result()));
    const multus = stack.cloud.subnets.filter((s) => s.name.startsWith('eniflow-multus-') && s.availabilityZone === stack.nodes[0].availabilityZone);

    for (const node of stack.nodes) {
      const enis = await enisOf(node.instanceId);
      expect(enis).toHaveLength(2);
      const byIndex = [...enis].sort((a, b) => a.Attachment!.DeviceIndex! - b.Attachment!.DeviceIndex!);
      expect(byIndex.map((e) => e.Attachment!.DeviceIndex)).toEqual([1, 2]);
      expect(byIndex.map((e) => e.SubnetId)).toEqual([multus[0].subnetId, multus[1].subnetId]);
      for (const eni of byIndex) {
        const tags = Object.fromEntries((eni.TagSet ?? []).map((tag) => [tag.Key, tag.Value]));
        expect(tags).toMatchObject({
          NodeENI: 'multus-data',
          Node: node.name,
          SubnetID: eni.SubnetId,
          'node.k8s.amazonaws.com/no_manage': 'true',
          'kubernetes.io/cluster/managed-by': 'eniflow',
          'eniflow.io/cluster': 'e2e',
          team: 'network-functions',
        });
        expect(eni.Groups?.map((g) => g.GroupName)).toEqual(['eniflow-multus']);
      }

      // On the node: an UP interface with MTU 9001 for each ENI's MAC.
      const macs = byIndex.map((e) => e.MacAddress!.toLowerCase());
      const links = node.netns
        ? (JSON.parse(execFileSync('ip', ['-n', node.netns, '-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ address: string; mtu: number; flags: string[] }>)
            .map((l) => ({ mac: l.address, mtu: l.mtu, up: l.flags.includes('UP') }))
        : (await node.links.list()).map((l) => ({ mac: l.mac, mtu: l.mtu, up: l.up }));
      for (const mac of macs) expect(links.find((l) => l.mac === mac)).toEqual({ mac, mtu: 9001, up: true });
    }

    // Hop limit 2 everywhere, and every node keeps its own HttpTokens setting.
    const instances = await moto.send(new DescribeInstancesCommand({ InstanceIds: stack.nodes.map((n) => n.instanceId) }));
    const options = Object.fromEntries(
      (instances.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId, i.MetadataOptions]),
    );
    expect(stack.nodes.map((n) => options[n.instanceId]?.HttpPutResponseHopLimit)).toEqual([2, 2, 2]);
    expect(stack.nodes.map((n) => options[n.instanceId]?.HttpTokens)).toEqual(['required', 'optional', 'required']);
  });

  it('a second onboarding of a node adopts its ENIs and changes nothing', async () => {
    const node = stack.nodes[0];
    const before = (await enisOf(node.instanceId)).map((e) => e.NetworkInterfaceId).sort();
    const calls = stack.proxy.counts();
    const handle = await onboard(node);
    await handle.result();
    const progress = await handle.query(progressQuery);
    const after = (await enisOf(node.instanceId)).map((e) => e.NetworkInterfaceId).sort();
    expect(after).toEqual(before);
    expect(progress.enis.map((e) => e.status)).toEqual(['configured', 'configured']);
    expect(progress.interfaces.map((i) => i.changed)).toEqual([false, false]);
    const now = stack.proxy.counts();
    for (const action of ['CreateNetworkInterface', 'AttachNetworkInterface', 'ModifyInstanceMetadataOptions']) {
      expect(now[action] ?? 0).toBe(calls[action] ?? 0);
    }
  });

  it("treats the NodeENIs sent as the node's whole desired state: a NodeENI left out loses its ENIs", async () => {
    const node = stack.nodes[0];
    const extra: NodeEniPolicy = { name: 'multus-extra', spec: { ...samplePolicy().spec, subnetNames: ['eniflow-multus-1'], deviceIndex: 3 } };
    await (await onboard(node, [samplePolicy(), extra])).result();
    const withExtra = await enisOf(node.instanceId);
    expect(withExtra.map((e) => e.Attachment!.DeviceIndex).sort()).toEqual([1, 2, 3]);
    const extraEni = withExtra.find((e) => e.Attachment!.DeviceIndex === 3)!;
    expect(Object.fromEntries((extraEni.TagSet ?? []).map((t) => [t.Key, t.Value])).NodeENI).toBe('multus-extra');

    const handle = await onboard(node, [samplePolicy()]);
    await handle.result();
    expect((await enisOf(node.instanceId)).map((e) => e.Attachment!.DeviceIndex).sort()).toEqual([1, 2]);
    const gone = await moto.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: [extraEni.NetworkInterfaceId!] }] }));
    expect(gone.NetworkInterfaces ?? []).toHaveLength(0);
    expect((await handle.query(progressQuery)).released).toEqual([extraEni.NetworkInterfaceId]);
  });

  it('follows a changed NodeENI: a removed subnet loses its ENI, new security groups and MTU are applied', async () => {
    const node = stack.nodes[1];
    const before = await enisOf(node.instanceId);
    const keep = before.find((e) => e.Attachment!.DeviceIndex === 1)!;
    const drop = before.find((e) => e.Attachment!.DeviceIndex === 2)!;
    const sg = await moto.send(new CreateSecurityGroupCommand({ GroupName: 'eniflow-e2e-new', Description: 'e2e', VpcId: stack.cloud.vpcId }));
    const changed = samplePolicy();
    changed.spec = { ...changed.spec, subnetNames: ['eniflow-multus-1'], securityGroupNames: ['eniflow-e2e-new'], mtu: 1500 };

    const handle = await onboard(node, [changed]);
    await handle.result();

    const after = await enisOf(node.instanceId);
    expect(after.map((e) => e.NetworkInterfaceId)).toEqual([keep.NetworkInterfaceId]);
    expect(after[0].Groups?.map((g) => g.GroupId)).toEqual([sg.GroupId]);
    const gone = await moto.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: [drop.NetworkInterfaceId!] }] }));
    expect(gone.NetworkInterfaces ?? []).toHaveLength(0);
    const links = await node.links.list();
    expect(links.find((l) => l.mac === keep.MacAddress!.toLowerCase())).toMatchObject({ mtu: 1500, up: true });
    expect(links.find((l) => l.mac === drop.MacAddress!.toLowerCase())).toBeUndefined();
  });

  it('offboards a node: every ENI detached and deleted in EC2, nothing left behind', async () => {
    const node = stack.nodes[2];
    const owned = (await enisOf(node.instanceId)).map((e) => e.NetworkInterfaceId!);
    expect(owned).toHaveLength(2);
    const handle = await startOffboarding(workers.client, { nodeName: node.name, cluster: 'e2e', region: stack.region, reason: 'e2e: node deleted' });
    const result = await handle.result();
    expect(result.released.sort()).toEqual([...owned].sort());
    expect(await enisOf(node.instanceId)).toHaveLength(0);
    const left = await moto.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: owned }] }));
    expect(left.NetworkInterfaces ?? []).toHaveLength(0);

    // Idempotent: offboarding again finds nothing and succeeds.
    const again = await startOffboarding(workers.client, { nodeName: node.name, cluster: 'e2e', region: stack.region, reason: 'again' });
    await expect(again.result()).resolves.toMatchObject({ released: [] });

    // And onboarding it again later creates fresh ENIs (a new lifetime, not the deleted ones replayed).
    await (await onboard(node)).result();
    const fresh = (await enisOf(node.instanceId)).map((e) => e.NetworkInterfaceId!);
    expect(fresh).toHaveLength(2);
    expect(fresh.filter((id) => owned.includes(id))).toEqual([]);
  });
});
