// The real control plane (etcd + kube-apiserver from scripts/provision-k8s.sh): admin access,
// ServiceAccount tokens under RBAC, CRDs, and a clean stop.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
const describeIfBinaries = describeIf(unavailable, 'k8s control plane tests');

/** Polls until `check` returns a value, or fails with the last thing seen. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Processes whose command line mentions `needle` (our binaries all carry the data dir in a flag). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

interface NamedList {
  items?: { metadata: { name: string } }[];
}

describeIfBinaries('real Kubernetes control plane', () => {
  let cp: KubeControlPlane;
  const nodeName = `ip-10-0-1-${Math.floor(Math.random() * 250) + 1}.ec2.internal`;

  beforeAll(async () => {
    const t0 = Date.now();
    cp = await startKubeControlPlane();
    console.log(`control plane ready at ${cp.server} in ${Date.now() - t0} ms`);
  }, 150_000);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  test('the admin creates a Node and reads it back', async () => {
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cp.caData).toContain('BEGIN CERTIFICATE');
    const created = await cp.request('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: nodeName, labels: { 'eniflow.io/test': 'yes' } },
      spec: { providerID: 'aws:///us-east-1a/i-0123456789abcdef0' },
    });
    expect(created.status).toBe(201);

    const got = await cp.request<{ metadata: { name: string; labels: Record<string, string> }; spec: { providerID: string } }>(
      'GET',
      `/api/v1/nodes/${nodeName}`,
    );
    expect(got.status).toBe(200);
    expect(got.body.metadata.name).toBe(nodeName);
    expect(got.body.metadata.labels['eniflow.io/test']).toBe('yes');
    expect(got.body.spec.providerID).toBe('aws:///us-east-1a/i-0123456789abcdef0');

    // The admin kubeconfig carries the same identity as cp.request.
    const { server, creds } = await credentialsFromKubeconfig(cp.adminKubeconfigPath);
    const viaKubeconfig = await kubeRequest<NamedList>(server, creds, 'GET', '/api/v1/nodes');
    expect(viaKubeconfig.status).toBe(200);
    expect(viaKubeconfig.body.items?.map((n) => n.metadata.name)).toContain(nodeName);
  });

  test('a ServiceAccount token is denied by RBAC until a ClusterRoleBinding allows listing nodes', async () => {
    const sa = { namespace: 'eniflow-system', name: 'eniflow-controller' };
    const { server, creds } = await credentialsFromKubeconfig(await cp.kubeconfigFor(sa));
    expect(creds.token).toBeTruthy();
    const asSa = <T>(method: string, p: string, body?: unknown): Promise<KubeResponse<T>> => kubeRequest<T>(server, creds, method, p, body);

    const who = await asSa<{ status: { userInfo: { username: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    expect(who.status).toBe(201);
    expect(who.body.status.userInfo.username).toBe(`system:serviceaccount:${sa.namespace}:${sa.name}`);

    expect((await asSa('GET', '/api/v1/nodes')).status).toBe(403);

    const role = await cp.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'eniflow-test-node-reader' },
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }],
    });
    expect(role.status).toBe(201);
    const binding = await cp.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'eniflow-test-node-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'eniflow-test-node-reader' },
      subjects: [{ kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name }],
    });
    expect(binding.status).toBe(201);

    // The RBAC authorizer reads bindings through an informer: allow it a moment to see the new one.
    const nodes = await eventually('the binding to take effect', async () => {
      const res = await asSa<NamedList>('GET', '/api/v1/nodes');
      return res.status === 200 ? res.body : undefined;
    });
    expect(nodes.items?.map((n) => n.metadata.name)).toContain(nodeName);
    // Only what was granted: writing nodes and reading secrets stay forbidden.
    expect((await asSa('DELETE', `/api/v1/nodes/${nodeName}`)).status).toBe(403);
    expect((await asSa('GET', '/api/v1/namespaces/kube-system/secrets')).status).toBe(403);

    // A second call reuses the existing ServiceAccount and still yields a working token.
    const again = await credentialsFromKubeconfig(await cp.kubeconfigFor(sa));
    expect((await kubeRequest(again.server, again.creds, 'GET', `/api/v1/nodes/${nodeName}`)).status).toBe(200);
  });

  test('a CRD becomes Established and serves its custom resources', async () => {
    const group = 'test.eniflow.io';
    const crd = await cp.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: 'Cluster',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wdg'] },
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1, maximum: 10 } }, required: ['size'] },
                },
              },
            },
          },
        ],
      },
    });
    expect(crd.status).toBe(201);

    await eventually('the CRD to be Established', async () => {
      const res = await cp.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${group}`,
      );
      return res.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });

    const collection = `/apis/${group}/v1alpha1/widgets`;
    const widget = { apiVersion: `${group}/v1alpha1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } };
    // The new resource reaches the API's handler chain right after Established; retry a 404 briefly.
    const created = await eventually('the Widget API to serve', async () => {
      const res = await cp.request('POST', collection, widget);
      return res.status === 404 ? undefined : res;
    });
    expect(created.status).toBe(201);
    // The schema is enforced: size 99 is over the maximum.
    const invalid = await cp.request('POST', collection, { ...widget, metadata: { name: 'w2' }, spec: { size: 99 } });
    expect(invalid.status).toBe(422);
    const got = await cp.request<{ spec: { size: number } }>('GET', `${collection}/w1`);
    expect(got.status).toBe(200);
    expect(got.body.spec.size).toBe(3);
  });

  test('stop() leaves no processes and no data dir behind', async () => {
    const dir = cp.dataDir;
    expect(existsSync(dir)).toBe(true);
    expect(processesMentioning(dir).length).toBe(2); // etcd and kube-apiserver
    await cp.stop();
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);
});

describeIfBinaries('real Kubernetes control plane: failed start', () => {
  test('an apiserver that exits while starting gives its output and leaves nothing behind', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('eniflow-k8s-')));
    await expect(startKubeControlPlane({ extraApiserverArgs: ['--no-such-flag-eniflow'] })).rejects.toThrow(
      /kube-apiserver exited[\s\S]*no-such-flag-eniflow/,
    );
    const left = readdirSync(tmpdir()).filter((f) => f.startsWith('eniflow-k8s-') && !before.has(f));
    expect(left).toEqual([]);
    expect(processesMentioning('--no-such-flag-eniflow')).toEqual([]);
  }, 60_000);
});
