// A local EC2 Instance Metadata Service with real IMDSv2 token semantics, serving one
// simulated node's instance. Every request reads the source's current snapshot, so ENIs
// attached later appear under network/interfaces/macs/ at once.
//
// Behaviour, modelled on AWS:
// - PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds in 1..21600 (else 400),
//   answers the token as text and echoes the TTL header. A PUT carrying X-Forwarded-For is
//   refused with 403 (AWS's guard against tokens fetched through proxies).
// - GET/HEAD with X-aws-ec2-metadata-token: valid → served, unknown or expired → 401.
//   Without a token: 401 when httpTokens is 'required' (or faults.v1Disabled), else IMDSv1.
// - httpEndpoint 'disabled' → 403 for every request (our choice of AWS's "endpoint off" shapes).
// - Methods other than GET/HEAD on metadata paths → 405; unknown paths → 404.
// - hopLimit is reported by EC2, not enforced here: every client is on loopback (0 hops).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface ImdsInterfaceSnapshot {
  mac: string;
  deviceNumber: number;
  interfaceId: string;
  subnetId: string;
  vpcId: string;
  subnetCidr?: string;
  localIpv4s: string[];
  securityGroupIds: string[];
}

export interface ImdsSnapshot {
  instanceId: string;
  region: string;
  availabilityZone: string;
  instanceType: string;
  privateIpAddress: string;
  localHostname?: string;
  amiId?: string;
  /** Default 123456789012 (moto's account). */
  accountId?: string;
  httpTokens: 'optional' | 'required';
  httpEndpoint: 'enabled' | 'disabled';
  hopLimit: number;
  interfaces: ImdsInterfaceSnapshot[];
}

export interface ImdsSource {
  snapshot(): Promise<ImdsSnapshot>;
}

export interface ImdsFaults {
  /** The token PUT answers this status instead of a token. */
  tokenStatus?: 403 | 404 | 405 | 500;
  /** The token PUT never answers (socket held open until the client gives up or the server stops). */
  tokenHang?: boolean;
  /** Token-less GETs get 401 even when the instance allows IMDSv1. */
  v1Disabled?: boolean;
}

export interface ImdsServer {
  /** http://host:port */
  endpoint: string;
  setFaults(f: ImdsFaults): void;
  stop(): Promise<void>;
}

export interface ImdsServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: a free port chosen by the OS. */
  port?: number;
  source: ImdsSource;
  faults?: ImdsFaults;
}

export const TOKEN_PATH = '/latest/api/token';
const TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const MAX_TTL_SECONDS = 21600;

/** A directory of the metadata tree: leaves are text, branches list their children. */
type Tree = { [name: string]: string | Tree };

function macTree(i: ImdsInterfaceSnapshot, snap: ImdsSnapshot): Tree {
  const t: Tree = {
    'device-number': String(i.deviceNumber),
    'interface-id': i.interfaceId,
    'local-hostname': i.deviceNumber === 0 ? localHostname(snap) : hostnameFor(i.localIpv4s[0] ?? '', snap.region),
    'local-ipv4s': i.localIpv4s.join('\n'),
    mac: i.mac,
    'owner-id': snap.accountId ?? '123456789012',
    'security-group-ids': i.securityGroupIds.join('\n'),
    'subnet-id': i.subnetId,
    'vpc-id': i.vpcId,
  };
  if (i.subnetCidr) t['subnet-ipv4-cidr-block'] = i.subnetCidr;
  return t;
}

function hostnameFor(ip: string, region: string): string {
  return `ip-${ip.replace(/\./g, '-')}.${region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`}`;
}

function localHostname(snap: ImdsSnapshot): string {
  return snap.localHostname ?? hostnameFor(snap.privateIpAddress, snap.region);
}

function identityDocument(snap: ImdsSnapshot): string {
  return JSON.stringify(
    {
      accountId: snap.accountId ?? '123456789012',
      architecture: 'x86_64',
      availabilityZone: snap.availabilityZone,
      imageId: snap.amiId ?? 'ami-00000000000000000',
      instanceId: snap.instanceId,
      instanceType: snap.instanceType,
      privateIp: snap.privateIpAddress,
      region: snap.region,
      version: '2017-09-30',
    },
    null,
    2,
  );
}

function buildTree(snap: ImdsSnapshot): Tree {
  const byDevice = [...snap.interfaces].sort((a, b) => a.deviceNumber - b.deviceNumber);
  const primary = byDevice.find((i) => i.deviceNumber === 0);
  const macs: Tree = {};
  for (const i of byDevice) macs[i.mac.toLowerCase()] = macTree(i, snap);
  return {
    latest: {
      'meta-data': {
        'ami-id': snap.amiId ?? 'ami-00000000000000000',
        hostname: localHostname(snap),
        'instance-id': snap.instanceId,
        'instance-type': snap.instanceType,
        'local-hostname': localHostname(snap),
        'local-ipv4': snap.privateIpAddress,
        ...(primary ? { mac: primary.mac.toLowerCase() } : {}),
        network: { interfaces: { macs } },
        placement: { 'availability-zone': snap.availabilityZone, region: snap.region },
      },
      dynamic: { 'instance-identity': { document: identityDocument(snap) } },
    },
  };
}

/** The text at a path: a leaf's value, a branch's listing (sub-branches end in '/'), or undefined. */
function resolve(tree: Tree, path: string): string | undefined {
  const trailingSlash = path.endsWith('/');
  const parts = path.split('/').filter(Boolean);
  let node: string | Tree = tree;
  for (const part of parts) {
    if (typeof node === 'string' || !Object.prototype.hasOwnProperty.call(node, part)) return undefined;
    node = node[part];
  }
  if (typeof node === 'string') return trailingSlash ? undefined : node;
  return Object.entries(node)
    .map(([k, v]) => (typeof v === 'string' ? k : `${k}/`))
    .join('\n');
}

export async function startImdsServer(opts: ImdsServerOptions): Promise<ImdsServer> {
  const host = opts.host ?? '127.0.0.1';
  let faults: ImdsFaults = { ...opts.faults };
  const tokens = new Map<string, number>(); // token → expiry (epoch ms)
  const hanging = new Set<http.ServerResponse>();

  const send = (res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };

  const issueToken = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.headers['x-forwarded-for'] !== undefined) return send(res, 403, 'Forbidden');
    const raw = req.headers[TTL_HEADER];
    const ttl = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!(ttl >= 1 && ttl <= MAX_TTL_SECONDS)) return send(res, 400, 'Bad Request');
    const now = Date.now();
    for (const [t, exp] of tokens) if (exp <= now) tokens.delete(t);
    const token = randomBytes(32).toString('base64url');
    tokens.set(token, now + ttl * 1000);
    send(res, 200, token, { [TTL_HEADER]: String(ttl) });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Collapse '//': the AWS SDK's MetadataService asks for '//latest/...' (endpoint path '/' + path).
    const path = (req.url ?? '/').split('?')[0].replace(/\/{2,}/g, '/');
    const snap = await opts.source.snapshot();
    if (snap.httpEndpoint === 'disabled') return send(res, 403, 'Forbidden');

    if (path === TOKEN_PATH) {
      if (req.method !== 'PUT') return send(res, 405, 'Method Not Allowed', { allow: 'PUT' });
      if (faults.tokenHang) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (faults.tokenStatus) return send(res, faults.tokenStatus, http.STATUS_CODES[faults.tokenStatus] ?? 'Error');
      return issueToken(req, res);
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
    const token = req.headers[TOKEN_HEADER];
    if (token !== undefined) {
      const exp = typeof token === 'string' ? tokens.get(token) : undefined;
      if (exp === undefined || exp <= Date.now()) return send(res, 401, 'Unauthorized');
    } else if (snap.httpTokens === 'required' || faults.v1Disabled) {
      return send(res, 401, 'Unauthorized');
    }

    const body = resolve(buildTree(snap), path);
    if (body === undefined) return send(res, 404, 'Not Found');
    send(res, 200, body, path.endsWith('/document') ? { 'content-type': 'application/json' } : {});
  };

  const server = http.createServer((req, res) => {
    // Drain the body (the token PUT has none, but clients may send one).
    req.resume();
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `simulated IMDS could not read the instance: ${(err as Error).message}`);
      else res.destroy();
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;

  return {
    endpoint: `http://${hostInUrl}:${port}`,
    setFaults(f: ImdsFaults) {
      faults = { ...f };
    },
    async stop() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
    },
  };
}
