// Bring one ENI's Linux interface to the wanted state, found by MAC (never by name), idempotently.
import type { InterfaceReport, InterfaceState } from '../domain/types';
import { LinkNotFoundError, findByMac, normalizeMac, type LinkBackend } from './links';

/** AWS allows jumbo frames up to 9001 on ENIs. */
export const MAX_ENI_MTU = 9001;

export interface ConfigureRequest {
  mac: string;
  /** 0 = leave the MTU alone. */
  mtu: number;
  /** 'primary': make sure primaryIpCidr is on the interface. Default 'none'. */
  addressing?: 'none' | 'primary';
  primaryIpCidr?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onWaiting?: () => void;
  /** MACs eniflow must never touch (the primary interface, device-number 0). */
  protectedMacs?: string[];
}

/** The request itself is wrong; retrying cannot help. */
export class InvalidInterfaceRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInterfaceRequestError';
  }
}

/** The requested MTU is outside 0..9001 (0 = leave alone). */
export class InvalidMtuError extends InvalidInterfaceRequestError {
  constructor(readonly mtu: number) {
    super(`mtu must be an integer from 1 to ${MAX_ENI_MTU} (0 = leave alone), got ${mtu}`);
    this.name = 'InvalidMtuError';
  }
}

/** Asked to change an interface eniflow must not touch (the node's primary ENI). */
export class ProtectedInterfaceError extends Error {
  constructor(readonly mac: string) {
    super(`refusing to configure ${mac}: it is a protected interface (the instance's primary ENI, device-number 0)`);
    this.name = 'ProtectedInterfaceError';
  }
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function isProtected(mac: string, protectedMacs: string[] | undefined): boolean {
  const m = normalizeMac(mac);
  return (protectedMacs ?? []).some((p) => normalizeMac(p) === m);
}

function validate(want: ConfigureRequest): void {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(want.mac.trim())) {
    throw new InvalidInterfaceRequestError(`mac must look like 0a:1b:2c:3d:4e:5f, got "${want.mac}"`);
  }
  if (!Number.isInteger(want.mtu) || want.mtu < 0 || want.mtu > MAX_ENI_MTU) {
    throw new InvalidMtuError(want.mtu);
  }
  if (want.addressing === 'primary') {
    const m = want.primaryIpCidr ? IPV4_CIDR.exec(want.primaryIpCidr) : null;
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
      throw new InvalidInterfaceRequestError(`primaryIpCidr must be an IPv4 CIDR like 10.0.1.5/24 when addressing is 'primary', got "${want.primaryIpCidr ?? ''}"`);
    }
  }
}

async function current(links: LinkBackend, mac: string): Promise<InterfaceState> {
  const found = findByMac(await links.list(), mac);
  if (!found) throw new LinkNotFoundError(mac);
  return found;
}

export async function configureInterface(links: LinkBackend, want: ConfigureRequest): Promise<InterfaceReport> {
  validate(want);
  if (isProtected(want.mac, want.protectedMacs)) throw new ProtectedInterfaceError(normalizeMac(want.mac));

  const before = await links.waitForMac(want.mac, { timeoutMs: want.timeoutMs, signal: want.signal, onWaiting: want.onWaiting });
  let changed = false;

  if (want.mtu !== 0 && before.mtu !== want.mtu) {
    await links.setMtu(before.name, want.mtu);
    changed = true;
  }
  if (!before.up) {
    await links.setUp(before.name, true);
    changed = true;
  }
  if (want.addressing === 'primary' && want.primaryIpCidr) {
    const have = await links.addresses(before.name);
    if (!have.includes(want.primaryIpCidr)) {
      try {
        await links.addAddress(before.name, want.primaryIpCidr);
        changed = true;
      } catch (err) {
        // Another attempt (e.g. a retry overlapping a slow one) added it meanwhile: that is the goal.
        if (!(await links.addresses(before.name)).includes(want.primaryIpCidr)) throw err;
      }
    }
  }

  const after = changed ? await current(links, want.mac) : before;
  return { mac: normalizeMac(want.mac), name: after.name, before, after, changed };
}

/**
 * Take the interface with this MAC down before its ENI is detached. No error when it is
 * already gone (detached or never appeared); returns the state it was left in, if any.
 */
export async function deconfigureInterface(links: LinkBackend, mac: string, opts: { protectedMacs?: string[] } = {}): Promise<InterfaceState | undefined> {
  if (isProtected(mac, opts.protectedMacs)) throw new ProtectedInterfaceError(normalizeMac(mac));
  const found = findByMac(await links.list(), mac);
  if (!found) return undefined;
  if (!found.up) return found;
  try {
    await links.setUp(found.name, false);
  } catch (err) {
    if (err instanceof LinkNotFoundError) return undefined; // unplugged meanwhile
    throw err;
  }
  return findByMac(await links.list(), mac);
}
