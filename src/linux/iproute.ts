// LinkBackend over iproute2's JSON output (`ip -j`), run with execFile (never a shell).
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { InterfaceState } from '../domain/types';
import { LinkNotFoundError, waitForMacWith, type LinkBackend, type WaitForMacOptions } from './links';

const execFileAsync = promisify(execFile);

export interface IpRouteOptions {
  /** Run every command inside this network namespace (`ip -n <netns>`). */
  netns?: string;
  /** The `ip` binary; defaults to `ip` on PATH. */
  ipPath?: string;
  /** Safety re-list while waiting for a MAC, in case a monitor event was missed. */
  recheckMs?: number;
}

/** `ip` failed; carries the command and what it printed. */
export class IpCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`ip ${args.join(' ')} failed: ${stderr.trim() || 'no output'}`);
    this.name = 'IpCommandError';
  }
}

/** The fields of `ip -j link show` that eniflow reads. */
interface IpLink {
  ifname: string;
  address?: string;
  mtu: number;
  flags?: string[];
  link_type?: string;
}

interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
}

function toState(l: IpLink): InterfaceState {
  // "up" means administratively up (the UP flag `ip link set up` controls), not carrier.
  return { name: l.ifname, mac: (l.address ?? '').toLowerCase(), mtu: l.mtu, up: (l.flags ?? []).includes('UP') };
}

function isMissingDevice(stderr: string): boolean {
  return /does not exist|Cannot find device/i.test(stderr);
}

export function createIpRouteBackend(opts: IpRouteOptions = {}): LinkBackend {
  const ip = opts.ipPath ?? 'ip';
  const prefix = opts.netns ? ['-n', opts.netns] : [];

  async function run(args: string[], linkName?: string): Promise<string> {
    const full = [...prefix, ...args];
    try {
      const { stdout } = await execFileAsync(ip, full, { maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? (err as Error).message;
      if (linkName && isMissingDevice(stderr)) throw new LinkNotFoundError(linkName);
      throw new IpCommandError(full, stderr);
    }
  }

  async function runJson<T>(args: string[], linkName?: string): Promise<T[]> {
    const out = await run(['-j', ...args], linkName);
    // Some iproute2 versions print nothing at all for an empty result.
    return out.trim() ? (JSON.parse(out) as T[]) : [];
  }

  async function list(): Promise<InterfaceState[]> {
    const links = await runJson<IpLink>(['link', 'show']);
    // Loopback has no MAC worth matching; everything else is a candidate.
    return links.filter((l) => l.link_type !== 'loopback').map(toState);
  }

  function subscribe(onChange: () => void): () => void {
    const child = spawn(ip, [...prefix, 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', () => onChange());
    // A failed monitor only costs latency: the safety re-check still finds the link.
    child.on('error', () => undefined);
    return () => {
      child.stdout.removeAllListeners('data');
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
  }

  return {
    list,
    async setMtu(name: string, mtu: number) {
      await run(['link', 'set', 'dev', name, 'mtu', String(mtu)], name);
    },
    async setUp(name: string, up: boolean) {
      await run(['link', 'set', 'dev', name, up ? 'up' : 'down'], name);
    },
    async addresses(name: string) {
      const rows = await runJson<{ addr_info?: IpAddrInfo[] }>(['-4', 'addr', 'show', 'dev', name], name);
      return rows.flatMap((r) => r.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
    },
    async addAddress(name: string, cidr: string) {
      await run(['addr', 'add', cidr, 'dev', name], name);
    },
    waitForMac(mac: string, wait: WaitForMacOptions) {
      return waitForMacWith(mac, wait, { list, subscribe, recheckMs: opts.recheckMs ?? 2000 });
    },
  };
}
