// deploy/ against a real kube-apiserver: every manifest passes server-side dry-run, the pods the
// workloads would create pass admission, the CRD validates and defaults NodeENIs as zod does, the
// service accounts can do what eniflow needs and nothing more, and the printer columns work.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { load, loadAll } from 'js-yaml';
import { nodeEniSpecSchema } from '../../src/config/nodeEni';
import { NODE_ENI_CRD_NAME, NODE_ENI_PATH } from '../../src/k8s/crd';
import { nodeEniSpecCelRules } from '../../src/k8s/crdSchema';
import type { NodeEniStatus } from '../../src/k8s/nodeEniStatus';
import {
  credentialsFromKubeconfig,
  kubeControlPlaneUnavailableReason,
  kubeRequest,
  startKubeControlPlane,
  type KubeControlPlane,
  type KubeResponse,
} from '../../src/dev/kubeControlPlane';
import { describeIf } from '../helpers/requires';

const unavailable = kubeControlPlaneUnavailableReason();
const describeIfBinaries = describeIf(unavailable, 'deploy/ manifest tests');

const deploy = path.resolve(__dirname, '..', '..', 'deploy');
const NS = 'eniflow-system';
const FIELD_MANAGER = 'eniflow-manifest-test';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: Record<string, unknown>;
}
interface Status {
  message?: string;
  details?: { causes?: { field?: string; message?: string }[] };
}

function readYaml(file: string): K8sObject[] {
  return (loadAll(readFileSync(path.join(deploy, file), 'utf8')) as (K8sObject | null)[]).filter((d): d is K8sObject => Boolean(d));
}
const kustomization = load(readFileSync(path.join(deploy, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const manifests = kustomization.resources.flatMap(readYaml);
const exampleNodeEni = readYaml('examples/nodeeni.yaml')[0];

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeIfBinaries('deploy/ manifests on a real API server', () => {
  let cp: KubeControlPlane;
  const discovery = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();

  /** The object's URL, from API discovery (no hand-kept kind → plural table). */
  async function objectUrl(obj: K8sObject): Promise<string> {
    const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    if (!discovery.has(base)) {
      const res = await cp.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>('GET', base);
      if (res.status !== 200) throw new Error(`discovery of ${base}: HTTP ${res.status}`);
      discovery.set(base, res.body.resources);
    }
    const resource = discovery.get(base)?.find((r) => r.kind === obj.kind && !r.name.includes('/'));
    if (!resource) throw new Error(`${obj.apiVersion} ${obj.kind} is not served`);
    const ns = resource.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
    return `${base}${ns}/${resource.name}/${obj.metadata.name}`;
  }

  /** Server-side apply (the way `kubectl apply --server-side` sends it), optionally as a dry run. */
  async function apply(obj: K8sObject, dryRun: boolean): Promise<KubeResponse<Status>> {
    const query = `fieldManager=${FIELD_MANAGER}&force=true${dryRun ? '&dryRun=All' : ''}`;
    return cp.request<Status>('PATCH', `${await objectUrl(obj)}?${query}`, obj, 'application/apply-patch+yaml');
  }

  async function asServiceAccount(name: string, namespace = NS) {
    const { server, creds } = await credentialsFromKubeconfig(await cp.kubeconfigFor({ namespace, name }));
    return <T>(method: string, p: string, body?: unknown, contentType?: string) => kubeRequest<T>(server, creds, method, p, body, contentType);
  }

  beforeAll(async () => {
    cp = await startKubeControlPlane();
  }, 150_000);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  test('every manifest passes server-side dry-run, then applies for real', async () => {
    expect(manifests.length).toBeGreaterThan(15);
    const clusterScoped = manifests.filter((m) => !m.metadata.namespace);
    const namespaced = manifests.filter((m) => m.metadata.namespace);
    // Nothing exists yet: cluster-scoped objects (namespace, CRD, cluster roles) must stand alone.
    for (const obj of clusterScoped) {
      const res = await apply(obj, true);
      expect({ obj: `${obj.kind}/${obj.metadata.name}`, status: res.status, message: res.body?.message }).toEqual({ obj: `${obj.kind}/${obj.metadata.name}`, status: 201, message: undefined });
    }
    // Dry-run stored nothing.
    expect((await cp.request('GET', `/api/v1/namespaces/${NS}`)).status).toBe(404);

    for (const obj of clusterScoped) expect((await apply(obj, false)).status).toBe(201);
    await eventually('the CRD to be Established', async () => {
      const res = await cp.request<{ status?: { conditions?: { type: string; status: string }[] } }>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${NODE_ENI_CRD_NAME}`);
      return res.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });

    for (const obj of namespaced) {
      const res = await apply(obj, true);
      expect({ obj: `${obj.kind}/${obj.metadata.name}`, status: res.status, message: res.body?.message }).toEqual({ obj: `${obj.kind}/${obj.metadata.name}`, status: 201, message: undefined });
    }
    for (const obj of namespaced) expect((await apply(obj, false)).status).toBe(201);
    // The opt-in extras are valid too (dry-run only: the access checks below are for the default install).
    for (const obj of readYaml('optional/controller-startup-taint.yaml')) expect((await apply(obj, true)).status).toBe(201);
    // Applying again is a no-op (200): the manifests are stable under server-side apply.
    for (const obj of manifests) expect((await apply(obj, true)).status).toBe(200);
  });

  test('the pods the workloads would create pass admission (service accounts, priority class, pod security)', async () => {
    const workloads = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'DaemonSet');
    expect(workloads).toHaveLength(3);
    const podFrom = (w: K8sObject, namespace: string) => {
      const template = (w.spec as { template: PodTemplate }).template;
      return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${w.metadata.name}-check`, namespace, labels: template.metadata?.labels }, spec: template.spec };
    };
    for (const w of workloads) {
      const res = await cp.request<Status>('POST', `/api/v1/namespaces/${NS}/pods?dryRun=All`, podFrom(w, NS));
      expect({ pod: w.metadata.name, status: res.status, message: res.body?.message }).toEqual({ pod: w.metadata.name, status: 201, message: undefined });
    }
    // The controller and central worker even meet the "restricted" Pod Security level; the agent cannot (hostNetwork, NET_ADMIN, root).
    const strict = 'eniflow-restricted-check';
    await cp.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: strict, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
    for (const w of workloads) {
      const sa = (w.spec as { template: PodTemplate }).template.spec.serviceAccountName as string;
      await cp.request('POST', `/api/v1/namespaces/${strict}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } });
      const res = await cp.request<Status>('POST', `/api/v1/namespaces/${strict}/pods?dryRun=All`, podFrom(w, strict));
      if (w.kind === 'DaemonSet') {
        expect(res.status).toBe(403);
        expect(res.body.message).toMatch(/violates PodSecurity "restricted.*hostNetwork/);
      } else {
        expect({ pod: w.metadata.name, status: res.status, message: res.body?.message }).toEqual({ pod: w.metadata.name, status: 201, message: undefined });
      }
    }
  });

  test('the example NodeENI is stored with the schema defaults applied', async () => {
    const created = await eventually('the NodeENI API to serve', async () => {
      const res = await cp.request<Status>('POST', NODE_ENI_PATH, exampleNodeEni);
      return res.status === 404 ? undefined : res;
    });
    expect({ status: created.status, message: created.body?.message }).toEqual({ status: 201, message: undefined });
    const got = await cp.request<K8sObject>('GET', `${NODE_ENI_PATH}/${exampleNodeEni.metadata.name}`);
    expect(got.status).toBe(200);
    // Every field the example leaves out comes back with zod's default; what it sets is kept.
    expect(got.body.spec).toEqual(nodeEniSpecSchema.parse(exampleNodeEni.spec));
    expect(got.body.spec).toMatchObject({ addressing: 'none', dpdkDriver: 'vfio-pci', enableDPDK: false, tags: {}, mtu: 9001, deviceIndex: 1 });
    // The short name and category are registered for kubectl.
    const disc = await cp.request<{ resources: { name: string; shortNames?: string[]; categories?: string[] }[] }>('GET', '/apis/networking.k8s.aws/v1alpha1');
    expect(disc.body.resources.find((r) => r.name === 'nodeenis')).toMatchObject({ shortNames: ['neni'], categories: ['eniflow'] });
  });

  test('invalid NodeENIs are rejected with messages naming the field', async () => {
    const nodeEni = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.k8s.aws/v1alpha1', kind: 'NodeENI', metadata: { name }, spec });
    const mtu = await cp.request<Status>('POST', NODE_ENI_PATH, nodeEni('bad-mtu', { nodeSelector: { a: 'b' }, subnetID: 'subnet-0123456789abcdef0', mtu: 9002 }));
    expect(mtu.status).toBe(422);
    expect(mtu.body.message).toMatch(/spec\.mtu.*9001/);

    const noSubnet = await cp.request<Status>('POST', NODE_ENI_PATH, nodeEni('no-subnet', { nodeSelector: { a: 'b' }, subnetIDs: [] }));
    expect(noSubnet.status).toBe(422);
    expect(noSubnet.body.message).toContain(nodeEniSpecCelRules[0].message);
    expect(noSubnet.body.details?.causes?.[0]?.field).toBe('spec.subnetID');

    const badId = await cp.request<Status>('POST', NODE_ENI_PATH, nodeEni('bad-subnet', { nodeSelector: { a: 'b' }, subnetID: 'subnet-XYZ' }));
    expect(badId.status).toBe(422);
    expect(badId.body.message).toMatch(/spec\.subnetID.*should match/);

    const noSelector = await cp.request<Status>('POST', NODE_ENI_PATH, nodeEni('no-selector', { subnetID: 'subnet-0123456789abcdef0' }));
    expect(noSelector.status).toBe(422);
    expect(noSelector.body.message).toMatch(/spec\.nodeSelector: Required/);
  });

  test('the API server and zod agree on which specs are valid', async () => {
    const subnet = 'subnet-0123456789abcdef0';
    const cases: Record<string, unknown>[] = [
      { nodeSelector: { a: 'b' }, subnetID: subnet },
      { nodeSelector: {}, subnetNames: ['multus-1'] },
      { nodeSelector: { a: 'b' }, subnetName: '' },
      { nodeSelector: { a: 'b' }, subnetNames: [] },
      { nodeSelector: { a: 'b' }, subnetIDs: [subnet, 'subnet-1'] },
      { nodeSelector: { a: 'b' }, subnetID: subnet, mtu: 0 },
      { nodeSelector: { a: 'b' }, subnetID: subnet, mtu: 1500 },
      { nodeSelector: { a: 'b' }, subnetID: subnet, mtu: -1 },
      { nodeSelector: { a: 'b' }, subnetID: subnet, mtu: 9001.5 },
      { nodeSelector: { a: 'b' }, subnetID: subnet, deviceIndex: 0 },
      { nodeSelector: { a: 'b' }, subnetID: subnet, deviceIndex: 31 },
      { nodeSelector: { a: 'b' }, subnetID: subnet, deviceIndex: 32 },
      { nodeSelector: { a: 'b' }, subnetID: subnet, addressing: 'secondary' },
      { nodeSelector: { a: 'b' }, subnetID: subnet, addressing: 'primary' },
      { nodeSelector: { a: 'b' }, subnetID: subnet, securityGroupIDs: ['sg-0123456789abcdef0'] },
      { nodeSelector: { a: 'b' }, subnetID: subnet, securityGroupIDs: ['sg-nope'] },
      { nodeSelector: { a: 'b' }, subnetID: subnet, description: 'x'.repeat(256) },
      { nodeSelector: { a: 'b' }, subnetID: subnet, tags: { team: 'net' } },
      { nodeSelector: { a: 1 }, subnetID: subnet },
    ];
    const verdicts = [];
    for (const [i, spec] of cases.entries()) {
      const res = await cp.request<Status>('POST', `${NODE_ENI_PATH}?dryRun=All`, { apiVersion: 'networking.k8s.aws/v1alpha1', kind: 'NodeENI', metadata: { name: `case-${i}` }, spec });
      verdicts.push({ spec, apiServer: res.status === 201, zod: nodeEniSpecSchema.safeParse(spec).success });
    }
    expect(verdicts.filter((v) => v.apiServer !== v.zod)).toEqual([]);
    // Both kinds of verdict occur, so the comparison means something.
    expect(verdicts.filter((v) => v.zod).length).toBeGreaterThan(5);
    expect(verdicts.filter((v) => !v.zod).length).toBeGreaterThan(5);
  });

  test('each service account can do what its process needs and nothing more', async () => {
    type Check = [verb: string, group: string, resource: string, subresource?: string, namespace?: string];
    // Events through either API (client-node's CoreV1 or EventsV1), create and patch (series updates).
    const events: Check[] = ['', 'events.k8s.io'].flatMap((group) => ['create', 'patch'].map((verb): Check => [verb, group, 'events', undefined, 'default']));
    const controllerNeeds: Check[] = [
      ['get', '', 'nodes'], ['list', '', 'nodes'], ['watch', '', 'nodes'],
      ['get', 'networking.k8s.aws', 'nodeenis'], ['list', 'networking.k8s.aws', 'nodeenis'], ['watch', 'networking.k8s.aws', 'nodeenis'],
      ['update', 'networking.k8s.aws', 'nodeenis'], ['patch', 'networking.k8s.aws', 'nodeenis'],
      ['update', 'networking.k8s.aws', 'nodeenis', 'status'], ['patch', 'networking.k8s.aws', 'nodeenis', 'status'],
      ...events,
      ['create', 'coordination.k8s.io', 'leases', undefined, NS],
    ];
    const workerNeeds: Check[] = [
      ['get', 'networking.k8s.aws', 'nodeenis'], ['list', 'networking.k8s.aws', 'nodeenis'],
      ['update', 'networking.k8s.aws', 'nodeenis', 'status'], ['patch', 'networking.k8s.aws', 'nodeenis', 'status'],
      ['get', '', 'nodes'], ['patch', '', 'nodes'],
      ...events,
    ];
    const nobodyGets: Check[] = [
      ['create', '', 'pods', undefined, NS], ['create', '', 'pods', 'exec', NS], ['get', '', 'pods', 'exec', 'kube-system'],
      ['get', '', 'secrets', undefined, NS], ['list', '', 'secrets', undefined, 'kube-system'], ['get', '', 'configmaps', undefined, NS],
      ['delete', '', 'nodes'], ['update', '', 'nodes'], ['create', '', 'nodes'],
      ['create', 'networking.k8s.aws', 'nodeenis'], ['delete', 'networking.k8s.aws', 'nodeenis'],
      ['create', 'coordination.k8s.io', 'leases', undefined, 'kube-system'], ['delete', 'coordination.k8s.io', 'leases', undefined, NS],
      ['delete', '', 'events', undefined, 'default'], ['list', '', 'events', undefined, 'default'],
      ['create', 'apiextensions.k8s.io', 'customresourcedefinitions'], ['escalate', 'rbac.authorization.k8s.io', 'clusterroles'],
      ['create', '', 'serviceaccounts', 'token', NS], ['impersonate', '', 'serviceaccounts', undefined, NS],
    ];
    const all = [...controllerNeeds, ...workerNeeds, ...nobodyGets];
    const key = ([verb, group, resource, sub, ns]: Check) => `${verb} ${group || 'core'}/${resource}${sub ? `/${sub}` : ''}${ns ? ` in ${ns}` : ''}`;

    async function allowedFor(sa: string): Promise<Record<string, boolean>> {
      const call = await asServiceAccount(sa);
      const out: Record<string, boolean> = {};
      for (const check of all) {
        const [verb, group, resource, subresource, namespace] = check;
        const res = await call<{ status: { allowed: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb, group, resource, subresource, namespace } },
        });
        expect(res.status).toBe(201);
        out[key(check)] = res.body.status.allowed;
      }
      return out;
    }
    const expected = (granted: Check[]) => Object.fromEntries(all.map((c) => [key(c), granted.some((g) => key(g) === key(c))]));

    // The RBAC authorizer sees new bindings through an informer: wait for the first grant to show.
    const controllerCall = await asServiceAccount('eniflow-controller');
    await eventually('the controller binding to take effect', async () => ((await controllerCall('GET', '/api/v1/nodes')).status === 200 ? true : undefined));
    expect(await allowedFor('eniflow-controller')).toEqual(expected(controllerNeeds));
    // The controller reads and renews only its own Lease (LEASE_NAME default eniflow-controller).
    const leaseReview = async (name: string, verb: string) =>
      (
        await controllerCall<{ status: { allowed: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb, group: 'coordination.k8s.io', resource: 'leases', namespace: NS, name } },
        })
      ).body.status.allowed;
    expect(await leaseReview('eniflow-controller', 'get')).toBe(true);
    expect(await leaseReview('eniflow-controller', 'update')).toBe(true);
    expect(await leaseReview('someone-elses-lease', 'get')).toBe(false);
    expect(await leaseReview('someone-elses-lease', 'update')).toBe(false);
    expect(await allowedFor('eniflow-central-worker')).toEqual(expected(workerNeeds));
    expect(await allowedFor('eniflow-node-agent')).toEqual(expected([]));
  });

  test('real calls: the controller sets a finalizer, the worker writes status, neither can touch pods', async () => {
    const name = exampleNodeEni.metadata.name;
    const controller = await asServiceAccount('eniflow-controller');
    const worker = await asServiceAccount('eniflow-central-worker');
    const agent = await asServiceAccount('eniflow-node-agent');
    const merge = 'application/merge-patch+json';

    const withFinalizer = await controller<K8sObject>('PATCH', `${NODE_ENI_PATH}/${name}`, { metadata: { finalizers: ['nodeeni.networking.k8s.aws/finalizer'] } }, merge);
    expect(withFinalizer.status).toBe(200);
    expect(withFinalizer.body.metadata).toMatchObject({ finalizers: ['nodeeni.networking.k8s.aws/finalizer'] });
    expect((await worker('PATCH', `${NODE_ENI_PATH}/${name}`, { metadata: { finalizers: null } }, merge)).status).toBe(403);

    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status: NodeEniStatus = {
      observedGeneration: 1,
      matchedNodes: 2,
      attachedENIs: 4,
      attachments: [{ nodeID: 'ip-10-0-1-1.ec2.internal', instanceID: 'i-0123456789abcdef0', eniID: 'eni-0123456789abcdef0', deviceIndex: 1, status: 'attached', lastUpdated: now, mtu: 9001 }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'AllAttached', message: '2 of 2 nodes have their ENIs', lastTransitionTime: now }],
    };
    const written = await worker<K8sObject & { status: NodeEniStatus }>('PATCH', `${NODE_ENI_PATH}/${name}/status`, { status }, merge);
    expect({ status: written.status, body: written.status === 200 ? undefined : written.body }).toEqual({ status: 200, body: undefined });
    expect(written.body.status).toMatchObject({ matchedNodes: 2, attachedENIs: 4, conditions: [expect.objectContaining({ type: 'Ready', status: 'True' })] });
    // The status subresource ignores spec changes sent to it; the spec endpoint refuses the worker.
    expect((await worker('PATCH', `${NODE_ENI_PATH}/${name}`, { spec: { mtu: 1500 } }, merge)).status).toBe(403);
    // An invalid status is rejected by the schema (the enum of condition status).
    const bad = await worker<Status>('PATCH', `${NODE_ENI_PATH}/${name}/status`, { status: { conditions: [{ ...status.conditions?.[0], status: 'Yes' }] } }, merge);
    expect(bad.status).toBe(422);

    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ip-10-0-1-1.ec2.internal' }, spec: { taints: [{ key: 'eniflow.io/network-unavailable', effect: 'NoSchedule' }] } };
    expect((await cp.request('POST', '/api/v1/nodes', node)).status).toBe(201);
    const untainted = await worker<{ metadata: { annotations: Record<string, string> }; spec: { taints?: unknown[] } }>(
      'PATCH',
      `/api/v1/nodes/${node.metadata.name}`,
      { metadata: { annotations: { 'eniflow.io/enis': '[]' } }, spec: { taints: null } },
      'application/strategic-merge-patch+json',
    );
    expect(untainted.status).toBe(200);
    expect(untainted.body.spec.taints).toBeUndefined();
    expect(untainted.body.metadata.annotations['eniflow.io/enis']).toBe('[]');
    expect((await controller('PATCH', `/api/v1/nodes/${node.metadata.name}`, { metadata: { labels: { x: 'y' } } }, merge)).status).toBe(403);

    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sneaky' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    for (const call of [controller, worker, agent]) {
      expect((await call('POST', `/api/v1/namespaces/${NS}/pods`, pod)).status).toBe(403);
      expect((await call('GET', `/api/v1/namespaces/${NS}/secrets`)).status).toBe(403);
    }
    expect((await agent('GET', NODE_ENI_PATH)).status).toBe(403);

    // Let the object go again (the admin stands in for the controller's finalizer removal).
    expect((await controller('PATCH', `${NODE_ENI_PATH}/${name}`, { metadata: { finalizers: null } }, merge)).status).toBe(200);
  });

  test('the printer columns show nodes, ENIs, Ready and Age in a Table response', async () => {
    const { server, creds } = await credentialsFromKubeconfig(cp.adminKubeconfigPath);
    const table = await new Promise<{ columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] }>((resolve, reject) => {
      const req = https.request(new URL(NODE_ENI_PATH, server), {
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
        headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    const names = table.columnDefinitions.map((c) => c.name);
    expect(names).toEqual(['Name', 'Nodes', 'ENIs', 'Ready', 'Reason', 'MTU', 'Age']);
    expect(table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Name', 'Nodes', 'ENIs', 'Ready', 'Age']);
    const row = table.rows.find((r) => r.cells[0] === exampleNodeEni.metadata.name);
    expect(row?.cells.slice(0, 6)).toEqual([exampleNodeEni.metadata.name, 2, 4, 'True', 'AllAttached', 9001]);
    expect(row?.cells[6]).toMatch(/^\d+[smh]/); // e.g. 7s
  });
});
