// The one seam between eniflow's node logic and the host's network interfaces.
// Backends: iproute2 (real hosts and test namespaces) and in-memory (non-root runs).
import type { InterfaceState } from '../domain/types';

export interface WaitForMacOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called at least every few seconds while waiting, so callers can heartbeat. */
  onWaiting?: () => void;
}

export interface LinkBackend {
  list(): Promise<InterfaceState[]>;
  setMtu(name: string, mtu: number): Promise<void>;
  setUp(name: string, up: boolean): Promise<void>;
  /** IPv4 addresses of the interface as 'a.b.c.d/nn'. */
  addresses(name: string): Promise<string[]>;
  addAddress(name: string, cidr: string): Promise<void>;
  /** Resolves when an interface with this MAC exists (case-insensitive); event-driven, not sleep-polling. */
  waitForMac(mac: string, opts: WaitForMacOptions): Promise<InterfaceState>;
}

/** MACs compare case-insensitively; IMDS and EC2 print them lower-case. */
export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase();
}

export function findByMac(links: InterfaceState[], mac: string): InterfaceState | undefined {
  const want = normalizeMac(mac);
  return links.find((l) => normalizeMac(l.mac) === want);
}

/** The interface with a MAC never showed up; the message lists what the node does have. */
export class InterfaceNotFoundError extends Error {
  constructor(
    readonly mac: string,
    readonly existing: InterfaceState[],
    readonly waitedMs: number,
  ) {
    const have = existing.length ? existing.map((l) => `${l.name} (${l.mac})`).join(', ') : 'none';
    super(`no network interface with MAC ${normalizeMac(mac)} appeared within ${waitedMs} ms; this node has: ${have}`);
    this.name = 'InterfaceNotFoundError';
  }
}

/** The wait was cancelled through its AbortSignal (e.g. the activity was cancelled). */
export class WaitAbortedError extends Error {
  constructor(readonly mac: string) {
    super(`waiting for the interface with MAC ${normalizeMac(mac)} was aborted`);
    this.name = 'WaitAbortedError';
  }
}

/** A link name the backend does not know. */
export class LinkNotFoundError extends Error {
  constructor(readonly linkName: string) {
    super(`network interface ${linkName} does not exist`);
    this.name = 'LinkNotFoundError';
  }
}

/** How often waiters call onWaiting: well inside any sensible heartbeat timeout. */
export const WAIT_HEARTBEAT_MS = 2000;

export interface WaitDeps {
  list(): Promise<InterfaceState[]>;
  /** Start watching for link changes; returns the function that stops watching. */
  subscribe(onChange: () => void): () => void;
  /** Safety re-check in case an event is missed (e.g. before a monitor is ready). 0 = none. */
  recheckMs: number;
}

/**
 * Shared waitForMac logic: subscribe first so no change is missed, then check on every
 * change event (and on the slow safety timer), heartbeat, and honour timeout and abort.
 */
export function waitForMacWith(mac: string, opts: WaitForMacOptions, deps: WaitDeps): Promise<InterfaceState> {
  const started = Date.now();
  return new Promise<InterfaceState>((resolve, reject) => {
    let done = false;
    let checking = false;
    let again = false;
    const timers: NodeJS.Timeout[] = [];
    let unsubscribe: () => void = () => undefined;

    const finish = (err: Error | undefined, found?: InterfaceState) => {
      if (done) return;
      done = true;
      for (const t of timers) {
        clearTimeout(t);
        clearInterval(t);
      }
      opts.signal?.removeEventListener('abort', onAbort);
      unsubscribe();
      if (err) reject(err);
      else resolve(found as InterfaceState);
    };

    // One list at a time; events arriving meanwhile collapse into one more check.
    const check = async (): Promise<void> => {
      if (done) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          const found = findByMac(await deps.list(), mac);
          if (found) return finish(undefined, found);
        } while (again && !done);
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      } finally {
        checking = false;
      }
    };

    const onAbort = () => finish(new WaitAbortedError(mac));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    unsubscribe = deps.subscribe(() => void check());
    if (opts.onWaiting) timers.push(setInterval(() => !done && opts.onWaiting?.(), WAIT_HEARTBEAT_MS));
    if (deps.recheckMs > 0) timers.push(setInterval(() => void check(), deps.recheckMs));
    timers.push(
      setTimeout(() => {
        void deps.list().then(
          (links) => {
            const found = findByMac(links, mac);
            if (found) finish(undefined, found);
            else finish(new InterfaceNotFoundError(mac, links, Date.now() - started));
          },
          (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
        );
      }, opts.timeoutMs),
    );
    void check();
  });
}
