// Network-namespace helpers for simulated nodes and tests (root only).
// Each simulated node gets its own namespace; its hot-plugged "ENIs" are dummy interfaces,
// or, on kernels without the dummy driver, veth ends whose peers sit in a companion
// "wire" namespace so they never show up on the node.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export class NetnsError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`ip ${args.join(' ')} failed: ${stderr.trim() || 'no output'}`);
    this.name = 'NetnsError';
  }
}

const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Namespaces outlive the process unless deleted: remove ours even on an abrupt exit.
  process.on('exit', () => {
    for (const ns of live) {
      for (const name of [ns, wireName(ns)]) {
        try {
          execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
        } catch {
          // already gone
        }
      }
    }
  });
}

async function ip(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', args);
    return stdout;
  } catch (err) {
    throw new NetnsError(args, (err as { stderr?: string }).stderr ?? (err as Error).message);
  }
}

/** Run `ip -n <ns> ...` and return its stdout. */
export function ipIn(ns: string, args: string[]): Promise<string> {
  return ip(['-n', ns, ...args]);
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** A namespace name unique to this process and call: prefix-pid-random. */
export function uniqueNamespaceName(prefix = 'eniflow'): string {
  return `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function wireName(ns: string): string {
  return `${ns}-w`;
}

export async function namespaceExists(name: string): Promise<boolean> {
  const out = await ip(['-j', 'netns', 'list']);
  const rows = out.trim() ? (JSON.parse(out) as Array<{ name: string }>) : [];
  return rows.some((r) => r.name === name);
}

/** Create a fresh namespace with lo up; it is removed at process exit if not deleted earlier. */
export async function createNamespace(prefix = 'eniflow'): Promise<string> {
  installExitHook();
  const name = uniqueNamespaceName(prefix);
  await ip(['netns', 'add', name]);
  live.add(name);
  await ipIn(name, ['link', 'set', 'dev', 'lo', 'up']);
  return name;
}

/** Delete a namespace (and its wire companion); no error when already gone. */
export async function deleteNamespace(name: string): Promise<void> {
  for (const ns of [name, wireName(name)]) {
    if (await namespaceExists(ns)) await ip(['netns', 'del', ns]);
  }
  live.delete(name);
}

let dummySupported: boolean | undefined;

export interface NicSpec {
  name: string;
  mac: string;
  /** Default 1500, like a freshly hot-plugged ENI. */
  mtu?: number;
  /** Default false (DOWN). */
  up?: boolean;
}

async function addVethNic(ns: string, nic: NicSpec): Promise<void> {
  const wire = wireName(ns);
  if (!(await namespaceExists(wire))) await ip(['netns', 'add', wire]);
  // Peer name from the MAC: unique in the wire namespace and within IFNAMSIZ (15).
  const peer = `p${nic.mac.replace(/:/g, '').toLowerCase()}`.slice(0, 15);
  await ipIn(ns, ['link', 'add', nic.name, 'address', nic.mac, 'mtu', String(nic.mtu ?? 1500), 'type', 'veth', 'peer', 'name', peer, 'netns', wire]);
  // Peer up so the node side gets carrier once eniflow sets it up, like a real NIC.
  await ipIn(wire, ['link', 'set', 'dev', peer, 'up']);
}

/**
 * Add an Ethernet-like interface with this name and MAC to the namespace. Name, MAC and MTU
 * are set in the one `ip link add`, so a watcher never sees a half-made interface.
 */
export async function addDummyInterface(ns: string, nic: NicSpec): Promise<void> {
  if (dummySupported !== false) {
    try {
      await ipIn(ns, ['link', 'add', nic.name, 'address', nic.mac, 'mtu', String(nic.mtu ?? 1500), 'type', 'dummy']);
      dummySupported = true;
    } catch (err) {
      if (!(err instanceof NetnsError) || !/Unknown device type|not supported/i.test(err.stderr)) throw err;
      dummySupported = false;
    }
  }
  if (dummySupported === false) await addVethNic(ns, nic);
  if (nic.up) await ipIn(ns, ['link', 'set', 'dev', nic.name, 'up']);
}

/** Remove an interface (a veth's peer goes with it); no error when already gone. */
export async function deleteInterface(ns: string, name: string): Promise<void> {
  try {
    await ipIn(ns, ['link', 'del', 'dev', name]);
  } catch (err) {
    if (err instanceof NetnsError && /does not exist|Cannot find device/i.test(err.stderr)) return;
    throw err;
  }
}

export type NetnsSupport = { ok: true } | { ok: false; reason: string };
let support: Promise<NetnsSupport> | undefined;

/** Root, `ip` present, and a probe namespace with an interface works. Cached per process. */
export function netnsSupport(): Promise<NetnsSupport> {
  support ??= (async (): Promise<NetnsSupport> => {
    if (!isRoot()) return { ok: false, reason: 'not running as root (network namespaces need root)' };
    try {
      await ip(['-V']);
    } catch {
      return { ok: false, reason: 'iproute2 (`ip`) is not installed' };
    }
    let probe: string | undefined;
    try {
      probe = await createNamespace('eniflow-probe');
      await addDummyInterface(probe, { name: 'probe0', mac: '02:00:00:00:00:01' });
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `a probe network namespace failed: ${(err as Error).message}` };
    } finally {
      if (probe) await deleteNamespace(probe).catch(() => undefined);
    }
  })();
  return support;
}

export async function canUseNetns(): Promise<boolean> {
  return (await netnsSupport()).ok;
}
