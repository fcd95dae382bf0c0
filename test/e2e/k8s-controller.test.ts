// The controller and the Kubernetes status publisher against a real API server: `eniflow controller`
// and `eniflow worker` run as processes under their own ServiceAccounts (RBAC from deploy/), node
// agents run in this process against the local stack. Every check reads the API server or moto
// directly, not eniflow's own view.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { loadAll } from 'js-yaml';
import { startProcess, type ManagedProcess } from '../../src/dev/childProcess';
import { kubeControlPlaneUnavailableReason, startKubeControlPlane, type KubeControlPlane } from '../../src/dev/kubeControlPlane';
import { DEV_CREDENTIALS } from '../../src/dev/moto';
import { DEMO_NODE_LABEL, SAMPLE_NODE_ENI_MANIFEST } from '../../src/dev/sampleNodeEni';
import { startLocalStack, type LocalStack } from '../../src/dev/stack';
import { startStackWorkers, type StackWorkers } from '../../src/dev/stackWorkers';
import { buildNodeEniCrd, NODE_ENI_CRD_NAME, NODE_ENI_PATH } from '../../src/k8s/crd';
import type { NodeEniStatus } from '../../src/k8s/nodeEniStatus';
import { offboardWorkflowId, onboardWorkflowId } from '../../src/workflows/definitions';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { describeIf } from '../helpers/requires';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'eniflow.js');
const unavailable = kubeControlPlaneUnavailableReason() ?? (existsSync(path.join(root, 'dist', 'src', 'cli', 'main.js')) ? undefined : 'dist/ is not built (npm run build)');
const describeK8s = describeIf(unavailable, 'k8s controller e2e');

const NS = 'eniflow-system';
const NODE_ENI = SAMPLE_NODE_ENI_MANIFEST.metadata.name;
const TAINT = { key: 'eniflow.io/network-unavailable', value: 'true', effect: 'NoSchedule' };
const CLUSTER = 'k8s-e2e';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; finalizers?: string[]; deletionTimestamp?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: { taints?: Array<{ key: string }> };
  status?: NodeEniStatus;
}

async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, procs: ManagedProcess[] = []): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const logs = procs.map((p) => `--- ${p.name}:\n${p.output()}`).join('\n');
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Collection path of the RBAC objects in deploy/rbac. */
function collectionPath(obj: K8sObject): string {
  const ns = obj.metadata.namespace;
  switch (obj.kind) {
    case 'ServiceAccount':
      return `/api/v1/namespaces/${ns}/serviceaccounts`;
    case 'ClusterRole':
      return '/apis/rbac.authorization.k8s.io/v1/clusterroles';
    case 'ClusterRoleBinding':
      return '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
    case 'Role':
      return `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`;
    case 'RoleBinding':
      return `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`;
    default:
      throw new Error(`unexpected kind ${obj.kind} in deploy/rbac`);
  }
}

describeK8s('controller + Kubernetes status publisher on a real API server', () => {
  let t: TestTemporal;
  let cp: KubeControlPlane;
  let stack: LocalStack;
  let agents: StackWorkers;
  let moto: EC2Client;
  const procs: ManagedProcess[] = [];
  let standby: ManagedProcess;

  beforeAll(async () => {
    t = await testTemporal('k8s');
    [cp, stack] = await Promise.all([startKubeControlPlane(), startLocalStack({ temporalAddress: t.address, namespace: t.namespace, nodes: undefined })]);
    moto = new EC2Client({ region: stack.region, endpoint: stack.motoEndpoint, credentials: DEV_CREDENTIALS });

    // The CRD from the zod schemas, and RBAC exactly as deploy/ ships it.
    expect((await cp.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', buildNodeEniCrd())).status).toBe(201);
    await eventually('the CRD to be established', async () => {
      const res = await cp.request<{ status?: { conditions?: Array<{ type: string; status: string }> } }>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${NODE_ENI_CRD_NAME}`);
      return res.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
    expect((await cp.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })).status).toBe(201);
    for (const file of ['controller.yaml', 'central-worker.yaml']) {
      for (const doc of (loadAll(readFileSync(path.join(root, 'deploy', 'rbac', file), 'utf8')) as K8sObject[]).filter(Boolean)) {
        const res = await cp.request('POST', collectionPath(doc), doc);
        if (res.status !== 201) throw new Error(`${doc.kind} ${doc.metadata.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    const controllerKubeconfig = await cp.kubeconfigFor({ namespace: NS, name: 'eniflow-controller' });
    const workerKubeconfig = await cp.kubeconfigFor({ namespace: NS, name: 'eniflow-central-worker' });

    agents = await startStackWorkers(stack, { central: false, logLevel: 'ERROR' });
    const common = {
      PATH: process.env.PATH,
      TEMPORAL_ADDRESS: t.address,
      TEMPORAL_NAMESPACE: t.namespace,
      CLUSTER_NAME: CLUSTER,
      AWS_REGION: stack.region,
      HEALTH_PORT: '0',
    };
    procs.push(
      startProcess('worker', process.execPath, [bin, 'worker'], {
        ...common,
        KUBECONFIG: workerKubeconfig,
        EC2_ENDPOINT: stack.ec2Endpoint,
        AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
        POD_NAME: 'central-worker-0',
      }),
      startProcess('controller', process.execPath, [bin, 'controller'], {
        ...common,
        KUBECONFIG: controllerKubeconfig,
        POD_NAMESPACE: NS,
        POD_NAME: 'controller-0',
        RECONCILE_PERIOD: '30s',
        LEASE_DURATION: '8s',
      }),
    );
    await eventually('the controller to hold the Lease', async () => (await leaseHolder()) === 'controller-0', 30_000, procs);
    // A second replica, as a Deployment rollout would have: it must stand by while controller-0 leads.
    standby = startProcess('controller-standby', process.execPath, [bin, 'controller'], {
      ...common,
      KUBECONFIG: controllerKubeconfig,
      POD_NAMESPACE: NS,
      POD_NAME: 'controller-1',
      RECONCILE_PERIOD: '30s',
      LEASE_DURATION: '8s',
    });
    procs.push(standby);
  }, 150_000);

  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
    await agents?.stop();
    moto?.destroy();
    await stack?.stop();
    await cp?.stop();
    await t?.close();
  }, 60_000);

  const [labelled1, labelled2, unlabelled] = [0, 1, 2];
  const leaseHolder = async () =>
    (await cp.request<{ spec?: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/eniflow-controller`)).body.spec?.holderIdentity;
  const nodeEniPath = `${NODE_ENI_PATH}/${NODE_ENI}`;
  const getNodeEni = () => cp.request<K8sObject>('GET', nodeEniPath);
  const getNode = async (i: number) => (await cp.request<K8sObject>('GET', `/api/v1/nodes/${stack.nodes[i].name}`)).body;
  async function secondaryEnis(i: number) {
    const res = await moto.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [stack.nodes[i].instanceId] }] }));
    return (res.NetworkInterfaces ?? []).filter((n) => n.Attachment?.DeviceIndex !== 0);
  }

  test('a labelled node gets its ENIs: workflows, status, Ready, annotation, taint removed, Events', async () => {
    for (const i of [labelled1, labelled2, unlabelled]) {
      const node = stack.nodes[i];
      const res = await cp.request('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: node.name, labels: i === unlabelled ? { other: 'x' } : { ...DEMO_NODE_LABEL } },
        spec: { providerID: node.providerID, ...(i === labelled1 ? { taints: [TAINT] } : {}) },
      });
      expect(res.status).toBe(201);
    }
    expect((await cp.request('POST', NODE_ENI_PATH, SAMPLE_NODE_ENI_MANIFEST)).status).toBe(201);

    const finalizers = await eventually('the finalizer', async () => (await getNodeEni()).body.metadata.finalizers, 30_000, procs);
    expect(finalizers).toContain('nodeeni.networking.k8s.aws/finalizer');

    const status = await eventually('2 attachments per labelled node and Ready', async () => {
      const s = (await getNodeEni()).body.status;
      const ready = s?.conditions?.find((c) => c.type === 'Ready');
      return s?.attachments?.length === 4 && ready?.status === 'True' ? s : undefined;
    }, 90_000, procs);
    expect(status.matchedNodes).toBe(2);
    expect(status.attachedENIs).toBe(4);
    for (const i of [labelled1, labelled2]) {
      const node = stack.nodes[i];
      const mine = status.attachments!.filter((a) => a.nodeID === node.name);
      const inEc2 = await secondaryEnis(i);
      expect(mine.map((a) => a.eniID).sort()).toEqual(inEc2.map((e) => e.NetworkInterfaceId).sort());
      expect(mine.map((a) => a.deviceIndex)).toEqual([1, 2]);
      for (const a of mine) expect(a).toMatchObject({ instanceID: node.instanceId, status: 'attached', mtu: 9001 });
      // The workflow the controller started for it.
      // (Status is published by its last step: the run completes a moment later.)
      await eventually(`onboard/${node.name} to complete`, async () => (await t.client.workflow.getHandle(onboardWorkflowId(node.name)).describe()).status.name === 'COMPLETED', 30_000, procs);

      const k8sNode = await getNode(i);
      const annotation = JSON.parse(k8sNode.metadata.annotations?.['eniflow.io/enis'] ?? '[]') as Array<{ eniID: string; macAddress: string; interfaceName: string; mtu: number }>;
      expect(annotation.map((e) => e.eniID).sort()).toEqual(inEc2.map((e) => e.NetworkInterfaceId).sort());
      for (const e of annotation) {
        expect(e.macAddress).toBe(inEc2.find((x) => x.NetworkInterfaceId === e.eniID)!.MacAddress!.toLowerCase());
        expect(e.interfaceName).toBeTruthy();
        expect(e.mtu).toBe(9001);
      }
      expect((k8sNode.spec?.taints ?? []).map((x) => x.key)).not.toContain(TAINT.key);
    }
    // The unlabelled node: no workflow, no ENIs.
    await expect(t.client.workflow.getHandle(onboardWorkflowId(stack.nodes[unlabelled].name)).describe()).rejects.toThrow();
    expect(await secondaryEnis(unlabelled)).toHaveLength(0);

    const events = await cp.request<{ items: Array<{ reason: string; involvedObject: { kind: string; name: string } }> }>('GET', '/api/v1/namespaces/default/events');
    const attached = events.body.items.filter((e) => e.reason === 'ENIAttached' && e.involvedObject.kind === 'NodeENI' && e.involvedObject.name === NODE_ENI);
    expect(attached).toHaveLength(4);
  }, 150_000);

  test('removing the label offboards that node: its ENIs leave EC2 and its status entries go', async () => {
    const node = stack.nodes[labelled2];
    const before = await secondaryEnis(labelled2);
    expect(before).toHaveLength(2);
    const patch = await cp.request('PATCH', `/api/v1/nodes/${node.name}`, { metadata: { labels: { 'eniflow.io/demo': null } } }, 'application/merge-patch+json');
    expect(patch.status).toBe(200);

    // Detached and deleted: gone from EC2 altogether, not just from the instance.
    await eventually('node 2 offboarded in EC2', async () => {
      const left = await moto.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: before.map((e) => e.NetworkInterfaceId!) }] }));
      return (left.NetworkInterfaces ?? []).length === 0;
    }, 60_000, procs);
    expect(await secondaryEnis(labelled2)).toHaveLength(0);
    const status = await eventually('its status entries removed', async () => {
      const s = (await getNodeEni()).body.status;
      return s?.attachments && !s.attachments.some((a) => a.nodeID === node.name) ? s : undefined;
    }, 30_000, procs);
    expect(status.attachments!.map((a) => a.nodeID)).toEqual([stack.nodes[labelled1].name, stack.nodes[labelled1].name]);
    await eventually('matchedNodes 1', async () => (await getNodeEni()).body.status?.matchedNodes === 1, 30_000, procs);
    // The other node keeps its ENIs.
    expect(await secondaryEnis(labelled1)).toHaveLength(2);
    const result = await t.client.workflow.getHandle(offboardWorkflowId(node.name, NODE_ENI)).result();
    expect([...result.released].sort()).toEqual(before.map((e) => e.NetworkInterfaceId).sort());
  }, 120_000);

  test('a deleted Node is offboarded whole: its ENIs leave EC2 and its status entries go', async () => {
    const node = stack.nodes[labelled2];
    // Matching again: it gets its ENIs back.
    await cp.request('PATCH', `/api/v1/nodes/${node.name}`, { metadata: { labels: { ...DEMO_NODE_LABEL } } }, 'application/merge-patch+json');
    const enis = await eventually('node 2 onboarded again', async () => {
      const now = await secondaryEnis(labelled2);
      return now.length === 2 ? now : undefined;
    }, 60_000, procs);
    await eventually('its status entries back', async () => ((await getNodeEni()).body.status?.attachments ?? []).filter((a) => a.nodeID === node.name).length === 2, 30_000, procs);

    expect([200, 202]).toContain((await cp.request('DELETE', `/api/v1/nodes/${node.name}`)).status);
    await eventually('node 2 offboarded in EC2', async () => {
      const left = await moto.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: enis.map((e) => e.NetworkInterfaceId!) }] }));
      return (left.NetworkInterfaces ?? []).length === 0;
    }, 60_000, procs);
    const result = await t.client.workflow.getHandle(offboardWorkflowId(node.name)).result();
    expect([...result.released].sort()).toEqual(enis.map((e) => e.NetworkInterfaceId).sort());
    await eventually('its status entries removed', async () => !((await getNodeEni()).body.status?.attachments ?? []).some((a) => a.nodeID === node.name), 30_000, procs);
    expect(await secondaryEnis(labelled1)).toHaveLength(2);
  }, 150_000);

  test('deleting the NodeENI: the finalizer holds it until its ENIs are gone, then it disappears', async () => {
    const enis = await secondaryEnis(labelled1);
    expect(enis).toHaveLength(2);
    expect([200, 202]).toContain((await cp.request('DELETE', nodeEniPath)).status);
    // Held: still there, marked for deletion, while ENIs exist.
    const held = await getNodeEni();
    expect(held.status).toBe(200);
    expect(held.body.metadata.deletionTimestamp).toBeTruthy();

    await eventually('the NodeENI to disappear', async () => (await getNodeEni()).status === 404, 60_000, procs);
    // The finalizer went only after the offboarding released them: once it is gone, so are they.
    expect(await secondaryEnis(labelled1)).toHaveLength(0);
    const left = await moto.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: enis.map((e) => e.NetworkInterfaceId!) }] }));
    expect(left.NetworkInterfaces ?? []).toHaveLength(0);
    const offboard = await t.client.workflow.getHandle(offboardWorkflowId(stack.nodes[labelled1].name, NODE_ENI)).describe();
    expect(offboard.status.name).toBe('COMPLETED');
    const events = await cp.request<{ items: Array<{ reason: string }> }>('GET', '/api/v1/namespaces/default/events');
    expect(events.body.items.filter((e) => e.reason === 'ENIDeleted').length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  test('one active controller: the standby takes over the Lease when the leader dies, and acts', async () => {
    expect(await leaseHolder()).toBe('controller-0');
    const leader = procs.find((p) => p.name === 'controller')!;
    leader.child.kill('SIGKILL');
    await eventually('controller-1 to take over the Lease', async () => (await leaseHolder()) === 'controller-1', 30_000, procs);
    // The new leader acts: a new NodeENI gets its finalizer from it.
    const manifest = { ...SAMPLE_NODE_ENI_MANIFEST, metadata: { name: 'after-takeover' } };
    expect((await cp.request('POST', NODE_ENI_PATH, manifest)).status).toBe(201);
    const finalizers = await eventually('the finalizer from the new leader', async () => (await cp.request<K8sObject>('GET', `${NODE_ENI_PATH}/after-takeover`)).body.metadata.finalizers, 30_000, procs);
    expect(finalizers).toContain('nodeeni.networking.k8s.aws/finalizer');
    expect(standby.output()).toMatch(/leader election: leading/);
  }, 90_000);
});
