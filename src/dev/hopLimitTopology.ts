// The IMDS hop limit on real Linux networking (root only). Three network namespaces:
//
//   pod (10.254.1.2) ──veth── node (router, ip_forward=1) ──veth── imds (169.254.169.254:80)
//
// The IMDS namespace answers like AWS: the IMDSv2 token response (PUT /latest/api/token) leaves with
// IP TTL = the instance's CURRENT HttpPutResponseHopLimit, so with hop limit 1 the node (0 extra hops)
// gets its token and a pod behind the node (1 extra hop) never does: the router drops it. IMDSv1 GETs
// are not hop-limited, as on AWS. How, in nftables inside the IMDS namespace:
//   input:  a TCP segment to port 80 whose payload starts with "PUT " marks its connection (ct mark 1);
//   output: packets of a marked connection get `ip ttl set <hop limit>`.
// The handshake is not limited (it precedes the mark), so the client connects and then waits for an
// answer that never arrives — the seed's "context deadline exceeded".
//
// The simulator itself runs in this process (eniflow's IMDS simulator, fed from the EC2 emulator);
// a tiny forwarder inside the IMDS namespace listens on 169.254.169.254:80 and reaches it through a
// Unix socket (filesystem sockets are not network-namespaced). Before every answer the simulator
// re-reads DescribeInstances and rewrites the TTL rule when the hop limit changed.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { InstanceFacts } from '../domain/types';
import { startProcess, type ManagedProcess } from './childProcess';
import { startImdsServer, type ImdsServer } from './imdsServer';
import { createNamespace, deleteNamespace, ipIn, isRoot } from './netns';
import { snapshotFromFacts } from './simulatedNode';

const execFileAsync = promisify(execFile);

export const IMDS_ADDRESS = '169.254.169.254';
const TABLE = 'eniflow_imds';
const PUT_PREFIX_HEX = '0x50555420'; // "PUT "

export interface HopLimitTopology {
  /** Namespaces: the IMDS endpoint's, the routing node's (hostNetwork pods live here), a pod's. */
  imdsNetns: string;
  nodeNetns: string;
  podNetns: string;
  /** http://169.254.169.254, reachable from nodeNetns and podNetns. */
  endpoint: string;
  /** The TTL the nft rule currently sets on token responses. */
  currentTtl(): number | undefined;
  /** Re-read the instance and update the rule now (the simulator also does this before each answer). */
  refresh(): Promise<number>;
  /** Runs a command inside a namespace (e.g. curl from the pod). */
  exec(netns: string, command: string, args: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export interface HopLimitTopologyOptions {
  instanceId: string;
  region: string;
  describe: (instanceId: string) => Promise<InstanceFacts>;
  log?: (line: string) => void;
}

export type HopLimitSupport = { ok: true } | { ok: false; reason: string };

async function which(command: string): Promise<boolean> {
  try {
    await execFileAsync('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/** Root, iproute2 and nftables: what the topology needs. */
export async function hopLimitTopologySupport(): Promise<HopLimitSupport> {
  if (!isRoot()) return { ok: false, reason: 'not running as root (network namespaces and nftables need root)' };
  for (const tool of ['ip', 'nft']) {
    if (!(await which(tool))) return { ok: false, reason: `\`${tool}\` is not installed (scripts/provision-tools.sh installs nftables when root)` };
  }
  return { ok: true };
}

async function inNs(netns: string, command: string, args: string[], input?: string, timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('ip', ['netns', 'exec', netns, command, ...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function mustInNs(netns: string, command: string, args: string[], input?: string): Promise<string> {
  const r = await inNs(netns, command, args, input);
  if (r.code !== 0) throw new Error(`ip netns exec ${netns} ${command} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function nftRules(ttl: number): string {
  return [
    `table inet ${TABLE} {`,
    '  chain input {',
    '    type filter hook input priority 0;',
    `    tcp dport 80 @ih,0,32 ${PUT_PREFIX_HEX} ct mark set 1`,
    '  }',
    '  chain output {',
    '    type filter hook output priority 0;',
    `    ct mark 1 ip ttl set ${ttl}`,
    '  }',
    '}',
  ].join('\n');
}

// The forwarder inside the IMDS namespace: TCP 169.254.169.254:80 ⇄ the simulator's Unix socket.
const FORWARDER = `
const net = require('node:net');
const [sock, host] = process.argv.slice(1);
net.createServer((c) => {
  const u = net.connect(sock);
  c.pipe(u); u.pipe(c);
  const end = () => { c.destroy(); u.destroy(); };
  c.on('error', end); u.on('error', end); c.on('close', () => u.destroy()); u.on('close', () => c.end());
}).listen(80, host, () => console.log('listening'));
`;

export async function startHopLimitTopology(opts: HopLimitTopologyOptions): Promise<HopLimitTopology> {
  const log = opts.log ?? (() => undefined);
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const imdsNs = await createNamespace('ehl-imds');
    cleanups.push(() => deleteNamespace(imdsNs));
    const nodeNs = await createNamespace('ehl-node');
    cleanups.push(() => deleteNamespace(nodeNs));
    const podNs = await createNamespace('ehl-pod');
    cleanups.push(() => deleteNamespace(podNs));

    // node ⇄ imds, and node ⇄ pod: two veth pairs; the node namespace routes between them.
    await ipIn(nodeNs, ['link', 'add', 'n-imds', 'type', 'veth', 'peer', 'name', 'i-node', 'netns', imdsNs]);
    await ipIn(nodeNs, ['link', 'add', 'n-pod', 'type', 'veth', 'peer', 'name', 'p-node', 'netns', podNs]);
    await ipIn(imdsNs, ['addr', 'add', '10.254.0.2/30', 'dev', 'i-node']);
    await ipIn(imdsNs, ['addr', 'add', `${IMDS_ADDRESS}/32`, 'dev', 'i-node']);
    await ipIn(imdsNs, ['link', 'set', 'i-node', 'up']);
    await ipIn(imdsNs, ['route', 'add', 'default', 'via', '10.254.0.1']);
    await ipIn(nodeNs, ['addr', 'add', '10.254.0.1/30', 'dev', 'n-imds']);
    await ipIn(nodeNs, ['addr', 'add', '10.254.1.1/30', 'dev', 'n-pod']);
    await ipIn(nodeNs, ['link', 'set', 'n-imds', 'up']);
    await ipIn(nodeNs, ['link', 'set', 'n-pod', 'up']);
    await ipIn(nodeNs, ['route', 'add', `${IMDS_ADDRESS}/32`, 'via', '10.254.0.2']);
    await mustInNs(nodeNs, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await ipIn(podNs, ['addr', 'add', '10.254.1.2/30', 'dev', 'p-node']);
    await ipIn(podNs, ['link', 'set', 'p-node', 'up']);
    await ipIn(podNs, ['route', 'add', 'default', 'via', '10.254.1.1']);

    // The TTL rule, from the instance's hop limit as the EC2 emulator has it now.
    let ttl: number | undefined;
    let applying: Promise<void> = Promise.resolve();
    const apply = (hopLimit: number): Promise<void> => {
      applying = applying.then(async () => {
        if (hopLimit === ttl) return;
        // Replace the table atomically: delete (if present) and re-create in one nft transaction.
        const script = `${ttl === undefined ? '' : `delete table inet ${TABLE}\n`}${nftRules(hopLimit)}\n`;
        await mustInNs(imdsNs, 'nft', ['-f', '-'], script);
        log(`IMDS namespace: token responses now leave with TTL ${hopLimit} (was ${ttl ?? 'unset'})`);
        ttl = hopLimit;
      });
      return applying;
    };
    const refresh = async (): Promise<number> => {
      const facts = await opts.describe(opts.instanceId);
      await apply(facts.metadataOptions.httpPutResponseHopLimit);
      return facts.metadataOptions.httpPutResponseHopLimit;
    };
    await refresh();
    cleanups.push(async () => void (await inNs(imdsNs, 'nft', ['delete', 'table', 'inet', TABLE])));

    const sockDir = mkdtempSync(path.join(os.tmpdir(), 'eniflow-imds-'));
    cleanups.push(async () => rmSync(sockDir, { recursive: true, force: true }));
    const sockPath = path.join(sockDir, 'imds.sock');

    const imds: ImdsServer = await startImdsServer({
      source: {
        snapshot: async () => {
          const facts = await opts.describe(opts.instanceId);
          // Before the answer is written: the rule matches the hop limit EC2 reports right now.
          await apply(facts.metadataOptions.httpPutResponseHopLimit);
          return snapshotFromFacts(facts, opts.region);
        },
      },
    });
    cleanups.push(() => imds.stop());
    const imdsUrl = new URL(imds.endpoint);

    // Unix socket → the simulator's loopback port, in this (the root) namespace.
    const bridge = net.createServer((c) => {
      const u = net.connect(Number(imdsUrl.port), imdsUrl.hostname);
      c.pipe(u);
      u.pipe(c);
      const end = () => {
        c.destroy();
        u.destroy();
      };
      c.on('error', end);
      u.on('error', end);
      c.on('close', () => u.destroy());
      u.on('close', () => c.end());
    });
    await new Promise<void>((resolve, reject) => {
      bridge.once('error', reject);
      bridge.listen(sockPath, () => resolve());
    });
    cleanups.push(() => new Promise<void>((resolve) => bridge.close(() => resolve())));

    const forwarder: ManagedProcess = startProcess('imds-forwarder', 'ip', ['netns', 'exec', imdsNs, process.execPath, '-e', FORWARDER, sockPath, IMDS_ADDRESS]);
    cleanups.push(() => forwarder.stop());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`IMDS forwarder did not start:\n${forwarder.output()}`)), 10_000);
      const onData = (d: Buffer) => {
        if (d.toString().includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      forwarder.child.stdout?.on('data', onData);
      forwarder.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`IMDS forwarder exited with ${code}:\n${forwarder.output()}`));
      });
    });

    return {
      imdsNetns: imdsNs,
      nodeNetns: nodeNs,
      podNetns: podNs,
      endpoint: `http://${IMDS_ADDRESS}`,
      currentTtl: () => ttl,
      refresh,
      exec: (netns, command, args, timeoutMs) => inNs(netns, command, args, undefined, timeoutMs),
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A token PUT as curl sends it; resolves to the token, or to a description of the failure. */
export async function curlToken(topology: HopLimitTopology, netns: string, timeoutSeconds = 2): Promise<{ ok: true; token: string } | { ok: false; reason: string }> {
  const r = await topology.exec(
    netns,
    'curl',
    ['-sS', '-X', 'PUT', '-m', String(timeoutSeconds), '-H', 'X-aws-ec2-metadata-token-ttl-seconds: 60', `${topology.endpoint}/latest/api/token`],
    (timeoutSeconds + 5) * 1000,
  );
  if (r.code === 0 && r.stdout.trim()) return { ok: true, token: r.stdout.trim() };
  return { ok: false, reason: r.code === 28 ? `timed out after ${timeoutSeconds} s` : `curl exit ${r.code}: ${r.stderr.trim()}` };
}
