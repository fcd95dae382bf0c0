// A LinkBackend wrapper for the node agent: the last line of defence around the host's interfaces.
//  - Never changes an interface whose MAC is protected (the primary ENI), whatever the request says.
//  - Ends every wait for a hot-plug when the agent shuts down, so the activity is handed back at once
//    instead of holding the pod's termination grace period.
import { ProtectedInterfaceError } from './configure';
import { normalizeMac, type LinkBackend } from './links';

export interface GuardOptions {
  /** MACs never to change; asked before every change (the caller caches). */
  protectedMacs: () => Promise<string[]>;
  /** Aborted when the agent stops: pending waits end with WaitAbortedError. */
  shutdownSignal?: AbortSignal;
}

export function guardLinks(links: LinkBackend, opts: GuardOptions): LinkBackend {
  // Mutations name the link; the guard maps the name back to its MAC, as the kernel sees it now.
  const refuseIfProtected = async (name: string): Promise<void> => {
    const protectedMacs = (await opts.protectedMacs()).map(normalizeMac);
    if (protectedMacs.length === 0) return;
    const link = (await links.list()).find((l) => l.name === name);
    if (link && protectedMacs.includes(normalizeMac(link.mac))) throw new ProtectedInterfaceError(normalizeMac(link.mac));
  };
  return {
    list: () => links.list(),
    addresses: (name) => links.addresses(name),
    async setMtu(name, mtu) {
      await refuseIfProtected(name);
      await links.setMtu(name, mtu);
    },
    async setUp(name, up) {
      await refuseIfProtected(name);
      await links.setUp(name, up);
    },
    async addAddress(name, cidr) {
      await refuseIfProtected(name);
      await links.addAddress(name, cidr);
    },
    waitForMac(mac, wait) {
      const stop = opts.shutdownSignal;
      const signal = stop && wait.signal ? AbortSignal.any([stop, wait.signal]) : (stop ?? wait.signal);
      return links.waitForMac(mac, { ...wait, signal });
    },
  };
}

/**
 * The instance's primary MAC from IMDS (`/latest/meta-data/mac`), cached once known. A failed read
 * is retried at most every `retryMs`, so an unreachable IMDS costs one timeout per period, not per change.
 */
export function primaryMacFromImds(get: (path: string) => Promise<{ value: string }>, retryMs = 30_000): () => Promise<string[]> {
  let known: string | undefined;
  let lastFailure = 0;
  return async () => {
    if (known) return [known];
    if (Date.now() - lastFailure < retryMs) return [];
    try {
      const mac = normalizeMac((await get('/latest/meta-data/mac')).value);
      if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) known = mac;
      return known ? [known] : [];
    } catch {
      lastFailure = Date.now();
      return [];
    }
  };
}

