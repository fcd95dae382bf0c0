// The Kubernetes status publisher's logic against an in-memory KubeStatusApi: merge of this node's
// attachments, conditions, node annotation and startup taint, Events, conflict retry.
import type { NodeStatusReport } from '../../src/activities/status';
import {
  createKubeStatusPublisher,
  KubeConflictError,
  type EventSpec,
  type KubeStatusApi,
  type NodeEniObject,
  type NodeObject,
} from '../../src/k8s/statusPublisher';
import type { EniProgress } from '../../src/workflows/definitions';

function fakeApi(nodeEnis: NodeEniObject[], nodes: NodeObject[], conflicts = 0) {
  const events: EventSpec[] = [];
  let pendingConflicts = conflicts;
  let statusWrites = 0;
  const api: KubeStatusApi = {
    getNodeEni: async (name) => structuredClone(nodeEnis.find((o) => o.metadata.name === name)),
    listNodeEnis: async () => structuredClone(nodeEnis),
    replaceNodeEniStatus: async (obj) => {
      if (pendingConflicts-- > 0) throw new KubeConflictError('status');
      const target = nodeEnis.find((o) => o.metadata.name === obj.metadata.name)!;
      target.status = structuredClone(obj.status);
      statusWrites++;
    },
    getNode: async (name) => structuredClone(nodes.find((n) => n.metadata.name === name)),
    patchNode: async (name, patch) => {
      const node = nodes.find((n) => n.metadata.name === name)!;
      const meta = patch.metadata as { annotations: Record<string, string | null> };
      for (const [k, v] of Object.entries(meta.annotations)) {
        if (v === null) delete node.metadata.annotations![k];
        else node.metadata.annotations![k] = v;
      }
      if (patch.spec) node.spec = { ...node.spec, ...(patch.spec as NodeObject['spec']) };
    },
    createEvent: async (e) => {
      events.push(e);
    },
  };
  return { api, events, writes: () => statusWrites };
}

const eni = (nodeEniName: string, deviceIndex: number, over: Partial<EniProgress> = {}): EniProgress => ({
  nodeEniName,
  subnetId: `subnet-0${deviceIndex}`,
  subnetCidr: `10.0.${deviceIndex}.0/24`,
  deviceIndex,
  eniId: `eni-${nodeEniName}-${deviceIndex}`,
  mac: `02:00:00:00:00:0${deviceIndex}`,
  attachmentId: `eni-attach-${deviceIndex}`,
  status: 'configured',
  interfaceName: `eth${deviceIndex}`,
  mtu: 9001,
  ...over,
});
const report = (nodeName: string, over: Partial<NodeStatusReport> = {}): NodeStatusReport => ({
  nodeName,
  instanceId: `i-${nodeName}`,
  phase: 'Ready',
  enis: [eni('multus', 1), eni('multus', 2)],
  interfaces: [],
  warnings: [],
  ...over,
});
const nodeObj = (name: string, labels: Record<string, string>, taints: NodeObject['spec'] = { taints: [] }): NodeObject => ({
  metadata: { name, uid: `uid-${name}`, resourceVersion: '1', labels, annotations: {} },
  spec: taints,
});

const silent = { log: () => undefined, now: () => new Date('2030-01-01T00:00:00Z') };

describe('Kubernetes status publisher', () => {
  test('Ready: this node gets its entries, others keep theirs; Ready condition, annotation, taint, Events', async () => {
    const ne: NodeEniObject = {
      metadata: { name: 'multus', uid: 'u1', generation: 3 },
      spec: { nodeSelector: { ng: 'x' } },
      status: { matchedNodes: 2, attachments: [{ nodeID: 'other', eniID: 'eni-o', deviceIndex: 1, status: 'attached' }] },
    };
    const taint = { key: 'eniflow.io/network-unavailable', value: 'true', effect: 'NoSchedule' };
    const keep = { key: 'dedicated', value: 'nf', effect: 'NoSchedule' };
    const nodes = [nodeObj('n1', { ng: 'x' }, { taints: [taint, keep] })];
    const fake = fakeApi([ne], nodes);
    await createKubeStatusPublisher(fake.api, silent).publish(report('n1'));

    expect(ne.status!.attachments!.map((a) => `${a.nodeID}:${a.eniID}`)).toEqual(['n1:eni-multus-1', 'n1:eni-multus-2', 'other:eni-o']);
    expect(ne.status!.attachments![0]).toMatchObject({ instanceID: 'i-n1', status: 'attached', subnetCIDR: '10.0.1.0/24', macAddress: '02:00:00:00:00:01', mtu: 9001, lastUpdated: '2030-01-01T00:00:00Z' });
    expect(ne.status!.attachedENIs).toBe(3);
    expect(ne.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'AllNodesAttached', observedGeneration: 3 });
    expect(ne.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'False' });

    const annotation = JSON.parse(nodes[0].metadata.annotations!['eniflow.io/enis']);
    expect(annotation).toEqual([
      { nodeENI: 'multus', eniID: 'eni-multus-1', deviceIndex: 1, interfaceName: 'eth1', macAddress: '02:00:00:00:00:01', mtu: 9001, subnetID: 'subnet-01' },
      { nodeENI: 'multus', eniID: 'eni-multus-2', deviceIndex: 2, interfaceName: 'eth2', macAddress: '02:00:00:00:00:02', mtu: 9001, subnetID: 'subnet-02' },
    ]);
    expect(nodes[0].spec!.taints).toEqual([keep]);
    expect(fake.events.map((e) => `${e.involved.kind}/${e.reason}`)).toEqual(['NodeENI/ENIAttached', 'NodeENI/ENIAttached']);

    // The same report again (a resync): no status write, no new Events.
    const writes = fake.writes();
    await createKubeStatusPublisher(fake.api, { ...silent, now: () => new Date('2030-01-01T01:00:00Z') }).publish(report('n1'));
    expect(fake.writes()).toBe(writes);
    expect(fake.events).toHaveLength(2);
  });

  test('Ready is False while a matching node has no ENIs yet', async () => {
    const ne: NodeEniObject = { metadata: { name: 'multus' }, spec: { nodeSelector: { ng: 'x' } }, status: { matchedNodes: 2 } };
    const fake = fakeApi([ne], [nodeObj('n1', { ng: 'x' })]);
    await createKubeStatusPublisher(fake.api, silent).publish(report('n1'));
    expect(ne.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NodesPending', message: '1/2 matching nodes have their ENIs attached' });
  });

  test('Failed: Degraded with the error and a Warning Event; entries and annotation kept', async () => {
    const ne: NodeEniObject = { metadata: { name: 'multus' }, spec: { nodeSelector: { ng: 'x' } }, status: { matchedNodes: 1 } };
    const nodes = [nodeObj('n1', { ng: 'x' })];
    const fake = fakeApi([ne], nodes);
    const publisher = createKubeStatusPublisher(fake.api, silent);
    await publisher.publish(report('n1'));
    await publisher.publish(report('n1', { phase: 'Failed', error: 'AttachmentLimitExceeded', enis: [eni('multus', 1), eni('multus', 2, { eniId: undefined, status: 'planned' })] }));
    expect(ne.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'ENICreationFailed', message: 'node n1: AttachmentLimitExceeded' });
    expect(ne.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
    expect(fake.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'ENICreationFailed' });
    expect(JSON.parse(nodes[0].metadata.annotations!['eniflow.io/enis'])).toHaveLength(2);
  });

  test('Offboarded (one NodeENI): its entries of this node go, Events ENIDetached/ENIDeleted, annotation loses them', async () => {
    const ne: NodeEniObject = { metadata: { name: 'multus' }, spec: { nodeSelector: { ng: 'x' } }, status: { matchedNodes: 1 } };
    const other: NodeEniObject = { metadata: { name: 'storage' }, spec: { nodeSelector: { ng: 'x' } }, status: { matchedNodes: 1 } };
    const nodes = [nodeObj('n1', { ng: 'x' })];
    const fake = fakeApi([ne, other], nodes);
    const publisher = createKubeStatusPublisher(fake.api, silent);
    await publisher.publish(report('n1', { enis: [eni('multus', 1), eni('storage', 2)] }));
    expect(other.status!.attachments).toHaveLength(1);
    await publisher.publish({ nodeName: 'n1', phase: 'Offboarded', enis: [], interfaces: [], warnings: [], releasedEniIds: ['eni-multus-1'], nodeEniName: 'multus' });
    expect(ne.status!.attachments).toEqual([]);
    expect(other.status!.attachments).toHaveLength(1);
    expect(fake.events.slice(-2).map((e) => e.reason)).toEqual(['ENIDetached', 'ENIDeleted']);
    expect(JSON.parse(nodes[0].metadata.annotations!['eniflow.io/enis']).map((e: { nodeENI: string }) => e.nodeENI)).toEqual(['storage']);
  });

  test('a write conflict is retried on a fresh read', async () => {
    const ne: NodeEniObject = { metadata: { name: 'multus' }, spec: { nodeSelector: { ng: 'x' } }, status: { matchedNodes: 1 } };
    const fake = fakeApi([ne], [nodeObj('n1', { ng: 'x' })], 2);
    await createKubeStatusPublisher(fake.api, silent).publish(report('n1'));
    expect(ne.status!.attachments).toHaveLength(2);
  });

  test('hop-limit warnings become a Warning Event on the Node', async () => {
    const fake = fakeApi([{ metadata: { name: 'multus' }, spec: { nodeSelector: { ng: 'x' } } }], [nodeObj('n1', { ng: 'x' })]);
    await createKubeStatusPublisher(fake.api, silent).publish(report('n1', { warnings: ['could not set the IMDS hop limit to 2: UnauthorizedOperation'] }));
    expect(fake.events.filter((e) => e.involved.kind === 'Node')).toEqual([
      expect.objectContaining({ reason: 'HopLimitConfigFailed', type: 'Warning', involved: expect.objectContaining({ name: 'n1', uid: 'uid-n1' }) }),
    ]);
  });
});
