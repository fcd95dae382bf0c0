// Static checks of deploy/: the kustomization lists every manifest, the IAM policy allows every EC2
// call the code makes, the node agent carries the seed's IMDS settings, RBAC has no wildcards.
// (test/integration/k8s-manifests.test.ts checks the same files against a real API server.)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadAll, load } from 'js-yaml';
import { SEED_IMDS_ENV } from '../helpers/seed';

const root = path.resolve(__dirname, '..', '..');
const deploy = path.join(root, 'deploy');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

const kustomization = load(readFileSync(path.join(deploy, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const objects: K8sObject[] = kustomization.resources.flatMap((file) =>
  loadAll(readFileSync(path.join(deploy, file), 'utf8')).filter(Boolean) as K8sObject[],
);
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

describe('deploy/ files', () => {
  test('the kustomization lists every manifest in deploy/ except the examples and the opt-in extras', () => {
    const manifests = filesUnder(deploy)
      .map((f) => path.relative(deploy, f))
      .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml' && !f.startsWith('examples') && !f.startsWith('optional'));
    expect([...kustomization.resources].sort()).toEqual(manifests.sort());
    expect(objects.length).toBeGreaterThan(15);
  });

  test('every namespaced object lives in eniflow-system and every workload runs the documented image', () => {
    const clusterScoped = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);
    for (const o of objects) {
      if (!clusterScoped.has(o.kind)) expect(`${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`).toBe(`${o.kind}/${o.metadata.name} in eniflow-system`);
    }
    const workloads = [...byKind('Deployment'), ...byKind('DaemonSet')];
    expect(workloads.map((w) => w.metadata.name).sort()).toEqual(['eniflow-central-worker', 'eniflow-controller', 'eniflow-node-agent']);
    for (const w of workloads) {
      const containers = (w as unknown as { spec: { template: { spec: { containers: { image: string; resources: { requests?: object; limits?: object } }[] } } } }).spec.template.spec.containers;
      for (const c of containers) {
        expect(c.image).toBe('ghcr.io/eniflow/eniflow:0.1.0');
        expect(c.resources.requests).toBeDefined();
        expect(c.resources.limits).toBeDefined();
      }
    }
  });

  test('the node agent: hostNetwork, NET_ADMIN, NODE_NAME from spec.nodeName, the seed IMDS values, probes on 8081', () => {
    const [agent] = byKind('DaemonSet') as unknown as {
      spec: {
        template: {
          spec: {
            hostNetwork: boolean;
            automountServiceAccountToken: boolean;
            tolerations: { key: string; effect: string }[];
            containers: {
              env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
              securityContext: { capabilities: { add: string[] } };
              livenessProbe: { httpGet: { path: string; port: string } };
              readinessProbe: { httpGet: { path: string; port: string } };
              ports: { name: string; containerPort: number }[];
            }[];
          };
        };
      };
    }[];
    const pod = agent.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.tolerations).toContainEqual(expect.objectContaining({ key: 'eniflow.io/network-unavailable', effect: 'NoSchedule' }));
    const c = pod.containers[0];
    expect(c.securityContext.capabilities.add).toEqual(['NET_ADMIN']);
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).toMatchObject({
      NODE_NAME: 'spec.nodeName',
      ...SEED_IMDS_ENV,
      HEALTH_PORT: '8081',
    });
    const port = c.ports.find((p) => p.name === c.livenessProbe.httpGet.port);
    expect(port?.containerPort).toBe(8081);
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
  });

  test('RBAC: no wildcards, no pods or exec, no secrets, and nothing bound to the node agent', () => {
    const roles = [...byKind('ClusterRole'), ...byKind('Role')] as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }[];
    expect(roles.length).toBeGreaterThanOrEqual(3);
    for (const role of roles) {
      for (const rule of role.rules) {
        expect(rule.verbs).not.toContain('*');
        expect(rule.resources).not.toContain('*');
        expect(rule.apiGroups).not.toContain('*');
        for (const resource of rule.resources) expect(resource).not.toMatch(/^(pods|pods\/exec|secrets)$/);
      }
    }
    const bindings = [...byKind('ClusterRoleBinding'), ...byKind('RoleBinding')] as unknown as { subjects: { name: string }[] }[];
    for (const b of bindings) expect(b.subjects.map((s) => s.name)).not.toContain('eniflow-node-agent');
  });

  test('the IAM policy allows every EC2 call in src/aws, and CreateTags only while creating ENIs', () => {
    const used = new Set<string>();
    for (const file of filesUnder(path.join(root, 'src', 'aws'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new (\w+)Command\(/g)) used.add(`ec2:${m[1]}`);
    }
    expect(used.size).toBeGreaterThanOrEqual(10);
    const policy = JSON.parse(readFileSync(path.join(deploy, 'iam-policy.json'), 'utf8')) as {
      Statement: { Effect: string; Action: string | string[]; Condition?: Record<string, Record<string, string>> }[];
    };
    const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat()));
    for (const action of used) expect({ action, allowed: allowed.has(action) }).toEqual({ action, allowed: true });
    expect(allowed.has('ec2:ModifyInstanceMetadataOptions')).toBe(true);
    // Nothing beyond what the code calls (plus CreateTags, implied by TagSpecifications on create).
    expect([...allowed].sort()).toEqual([...used, 'ec2:CreateTags'].sort());
    for (const action of allowed) expect(action).not.toContain('*');
    const createTags = policy.Statement.find((s) => [s.Action].flat().includes('ec2:CreateTags'));
    expect(createTags?.Condition?.StringEquals?.['ec2:CreateAction']).toBe('CreateNetworkInterface');
  });
});
