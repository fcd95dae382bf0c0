// A real Kubernetes control plane for tests: etcd and kube-apiserver (built by
// scripts/provision-k8s.sh) on loopback, with a throwaway CA, serving cert, admin client cert and
// service-account signing key. No kubelet, scheduler or controller-manager: objects are stored and
// served (RBAC, CRDs, admission, validation) but nothing reconciles them, so namespace deletion
// and garbage collection do not happen.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startProcess, type ManagedProcess } from './childProcess';
import { freePort } from './ports';
import { toolPath } from './tools';

const execFileAsync = promisify(execFile);

// Binaries: kube-apiserver and etcd, looked up like every provisioned tool (tools.ts).
export type KubeToolName = 'kube-apiserver' | 'etcd';
export const kubeToolPath = (name: KubeToolName): string => toolPath(name);

/** Why the control plane cannot start here, or undefined when both binaries are present. */
export function kubeControlPlaneUnavailableReason(): string | undefined {
  try {
    kubeToolPath('etcd');
    kubeToolPath('kube-apiserver');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

export interface KubeControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  /** etcd data, certificates and kubeconfigs live here. */
  dataDir: string;
  /** The cluster CA certificate (PEM). */
  caData: string;
  /** A kubeconfig (JSON, which every kubeconfig loader accepts as YAML) for a system:masters client cert. */
  adminKubeconfigPath: string;
  /** Creates the namespace and ServiceAccount when missing, asks the TokenRequest API for a token, writes a kubeconfig. */
  kubeconfigFor(serviceAccount: ServiceAccountRef, opts?: { expirationSeconds?: number }): Promise<string>;
  /** A raw API call as the admin; for tests (jest cannot load the ESM-only @kubernetes/client-node). */
  request<T = unknown>(method: string, apiPath: string, body?: unknown, contentType?: string): Promise<KubeResponse<T>>;
  /** Stops kube-apiserver and etcd and removes the data dir when this helper created it. */
  stop(): Promise<void>;
}

export interface KubeControlPlaneOptions {
  /** Where etcd data, certificates and kubeconfigs go; a temp dir (removed on stop) when absent. */
  dataDir?: string;
  /** How long to wait for /readyz. */
  startTimeoutMs?: number;
  /** Extra kube-apiserver flags, e.g. ['--feature-gates=...']. */
  extraApiserverArgs?: string[];
}

const HOST = '127.0.0.1';
const SERVICE_CIDR = '10.96.0.0/16';
const SERVICE_IP = '10.96.0.1'; // the first service IP: the in-cluster "kubernetes" Service
const ISSUER = 'https://kubernetes.default.svc.cluster.local';

export async function startKubeControlPlane(opts: KubeControlPlaneOptions = {}): Promise<KubeControlPlane> {
  const etcdBin = kubeToolPath('etcd');
  const apiserverBin = kubeToolPath('kube-apiserver');
  const ownsDir = !opts.dataDir;
  const dir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'eniflow-k8s-')));
  const started: ManagedProcess[] = [];
  const cleanup = async () => {
    // The apiserver first, so it does not log a storm of etcd errors while shutting down.
    for (const p of [...started].reverse()) await p.stop();
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(dir, { recursive: true });
    const pki = await generatePki(path.join(dir, 'pki'));

    const [etcdClientPort, etcdPeerPort, port] = await distinctFreePorts(3);
    const etcdUrl = `http://${HOST}:${etcdClientPort}`;
    const peerUrl = `http://${HOST}:${etcdPeerPort}`;
    const etcd = startProcess('etcd', etcdBin, [
      '--name=eniflow',
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=eniflow=${peerUrl}`,
      // A test cluster's data is throwaway: skipping fsync makes every write much faster.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    started.push(etcd);
    await waitUntil('etcd to be healthy', () => etcdHealthy(etcdUrl), [etcd], 30_000);

    const apiserver = startProcess('kube-apiserver', apiserverBin, [
      `--etcd-servers=${etcdUrl}`,
      `--bind-address=${HOST}`,
      `--advertise-address=${HOST}`,
      `--secure-port=${port}`,
      `--cert-dir=${path.join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=${ISSUER}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // The default reconciler would publish 127.0.0.1 as the "kubernetes" Endpoints, which
      // Endpoints validation rejects (loopback); nothing in the tests needs in-cluster access.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--profiling=false',
      '--v=0',
      ...(opts.extraApiserverArgs ?? []),
    ]);
    started.push(apiserver);

    const server = `https://${HOST}:${port}`;
    const caData = await readFile(pki.caCert, 'utf8');
    const admin: ClientCredentials = {
      ca: caData,
      cert: await readFile(pki.adminCert, 'utf8'),
      key: await readFile(pki.adminKey, 'utf8'),
    };
    const request = <T>(method: string, apiPath: string, body?: unknown, contentType?: string) =>
      kubeRequest<T>(server, admin, method, apiPath, body, contentType);
    await waitUntil('kube-apiserver /readyz', () => apiserverReady(request), [apiserver, etcd], opts.startTimeoutMs ?? 90_000);

    const kubeconfigDir = path.join(dir, 'kubeconfigs');
    await mkdir(kubeconfigDir, { recursive: true });
    const adminKubeconfigPath = path.join(kubeconfigDir, 'admin.kubeconfig');
    await writeKubeconfig(adminKubeconfigPath, server, caData, 'eniflow-admin', {
      'client-certificate-data': b64(admin.cert ?? ''),
      'client-key-data': b64(admin.key ?? ''),
    });

    return {
      server,
      dataDir: dir,
      caData,
      adminKubeconfigPath,
      request,
      kubeconfigFor: async (sa, tokenOpts) => {
        const token = await serviceAccountToken(request, sa, tokenOpts?.expirationSeconds ?? 3600);
        const file = path.join(kubeconfigDir, `sa-${sa.namespace}-${sa.name}.kubeconfig`);
        await writeKubeconfig(file, server, caData, `system:serviceaccount:${sa.namespace}:${sa.name}`, { token });
        return file;
      },
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** freePort closes its probe socket at once, so two calls can hand out the same port: ask until distinct. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(HOST));
  return [...ports];
}

// ---------------------------------------------------------------------------------------------
// PKI: a CA, the apiserver's serving cert, an admin client cert and the SA signing key (openssl).

interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd });
  } catch (err) {
    const e = err as Error & { stderr?: string; code?: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed; the test control plane needs it to generate certificates', { cause: err });
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

async function generatePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // P-256 keys: fast to generate, and every component accepts them.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=eniflow-test-ca'], dir);
  const sign = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-days', '2'];
  await openssl(
    [
      'req', '-x509', ...ec, ...sign, '-keyout', 'server.key', '-out', 'server.crt', '-subj', '/CN=kube-apiserver',
      '-addext', `subjectAltName=IP:${HOST},IP:${SERVICE_IP},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local`,
      '-addext', 'extendedKeyUsage=serverAuth',
      '-addext', 'basicConstraints=critical,CA:FALSE',
    ],
    dir,
  );
  // O=system:masters makes this client a cluster admin regardless of RBAC objects.
  await openssl(
    [
      'req', '-x509', ...ec, ...sign, '-keyout', 'admin.key', '-out', 'admin.crt', '-subj', '/O=system:masters/CN=eniflow-admin',
      '-addext', 'extendedKeyUsage=clientAuth',
      '-addext', 'basicConstraints=critical,CA:FALSE',
    ],
    dir,
  );
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key'], dir);
  await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  const p = (f: string) => path.join(dir, f);
  return {
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
  };
}

// ---------------------------------------------------------------------------------------------
// API access

export interface ClientCredentials {
  ca: string;
  cert?: string;
  key?: string;
  token?: string;
}

type Requester = <T>(method: string, apiPath: string, body?: unknown, contentType?: string) => Promise<KubeResponse<T>>;

/** One HTTPS call to the API server; the body is parsed as JSON when it is JSON. */
export function kubeRequest<T = unknown>(
  server: string,
  creds: ClientCredentials,
  method: string,
  apiPath: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<KubeResponse<T>> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const url = new URL(apiPath, server);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
        headers: {
          accept: 'application/json',
          ...(creds.token ? { authorization: `Bearer ${creds.token}` } : {}),
          ...(payload !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // Not JSON (e.g. /readyz's "ok"): hand back the text.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${apiPath} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * Polls `probe` until it returns true, one of `procs` exits (rejecting with its output), or the
 * deadline passes. Polling stops in every case, so nothing keeps running after a failed start.
 */
async function waitUntil(what: string, probe: () => Promise<boolean | string>, procs: ManagedProcess[], timeoutMs: number): Promise<void> {
  let exited: Error | undefined;
  const listeners = procs.map((p) => {
    const onExit = (code: number | null, signal: string | null) => {
      exited ??= new Error(`${p.name} exited (${code ?? signal}) while waiting for ${what}:\n${p.output()}`);
    };
    if (p.child.exitCode !== null || p.child.signalCode !== null) onExit(p.child.exitCode, p.child.signalCode);
    p.child.once('exit', onExit);
    return () => p.child.off('exit', onExit);
  });
  try {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      if (exited) throw exited;
      try {
        const result = await probe();
        if (result === true) return;
        if (typeof result === 'string') last = result;
      } catch (err) {
        last = (err as Error).message;
      }
      if (exited) throw exited;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${last})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    for (const off of listeners) off();
  }
}

async function apiserverReady(request: Requester): Promise<boolean | string> {
  const res = await request<string>('GET', '/readyz');
  if (res.status === 200) return true;
  return `HTTP ${res.status}: ${typeof res.body === 'string' ? res.body.slice(-500) : JSON.stringify(res.body)}`;
}

function etcdHealthy(clientUrl: string): Promise<boolean | string> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${clientUrl}/health`, { timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && text.includes('"true"') ? true : `HTTP ${res.statusCode}: ${text}`));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('etcd /health timed out')));
    req.on('error', reject);
  });
}

async function createIfMissing(request: Requester, collection: string, obj: unknown): Promise<void> {
  const res = await request('POST', collection, obj);
  if (res.status !== 201 && res.status !== 200 && res.status !== 409) {
    throw new Error(`POST ${collection} failed: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
}

async function serviceAccountToken(request: Requester, sa: ServiceAccountRef, expirationSeconds: number): Promise<string> {
  const ns = encodeURIComponent(sa.namespace);
  const name = encodeURIComponent(sa.name);
  await createIfMissing(request, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: sa.namespace } });
  await createIfMissing(request, `/api/v1/namespaces/${ns}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: sa.name },
  });
  const res = await request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds },
  });
  const token = res.body?.status?.token;
  if (res.status !== 201 || !token) throw new Error(`TokenRequest for ${sa.namespace}/${sa.name} failed: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return token;
}

// ---------------------------------------------------------------------------------------------
// Kubeconfigs

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

async function writeKubeconfig(file: string, server: string, caData: string, user: string, auth: Record<string, string>): Promise<void> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'eniflow-test', cluster: { server, 'certificate-authority-data': b64(caData) } }],
    users: [{ name: user, user: auth }],
    contexts: [{ name: 'eniflow-test', context: { cluster: 'eniflow-test', user } }],
    'current-context': 'eniflow-test',
  };
  // Holds credentials: owner-only.
  await writeFile(file, JSON.stringify(config, null, 2), { mode: 0o600 });
}

/** Credentials from a kubeconfig this module wrote (token or client cert), for kubeRequest. */
export async function credentialsFromKubeconfig(file: string): Promise<{ server: string; creds: ClientCredentials }> {
  const cfg = JSON.parse(await readFile(file, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
  };
  const cluster = cfg.clusters[0].cluster;
  const user = cfg.users[0].user;
  const unb64 = (s?: string) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));
  return {
    server: cluster.server,
    creds: {
      ca: unb64(cluster['certificate-authority-data']) ?? '',
      token: user.token,
      cert: unb64(user['client-certificate-data']),
      key: unb64(user['client-key-data']),
    },
  };
}
