// An in-memory LinkBackend: the simulated node's "kernel" when eniflow runs without root.
import { EventEmitter } from 'node:events';
import type { InterfaceState } from '../domain/types';
import { LinkNotFoundError, findByMac, normalizeMac, waitForMacWith, type LinkBackend } from './links';

export interface MemoryLinks extends LinkBackend {
  /** Hot-plug an interface (DOWN, MTU 1500 unless told otherwise); returns it. */
  addLink(mac: string, name?: string, init?: { mtu?: number; up?: boolean }): InterfaceState;
  /** Unplug the interface with this MAC; false when there was none. */
  removeLink(mac: string): boolean;
}

interface MemoryLink {
  state: InterfaceState;
  addresses: string[];
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function createMemoryLinks(): MemoryLinks {
  const links = new Map<string, MemoryLink>(); // by name, in insertion order like ifindex
  const events = new EventEmitter();
  events.setMaxListeners(0); // one listener per concurrent waiter
  let nextIndex = 0;

  const get = (name: string): MemoryLink => {
    const link = links.get(name);
    if (!link) throw new LinkNotFoundError(name);
    return link;
  };
  const snapshot = (): InterfaceState[] => [...links.values()].map((l) => ({ ...l.state }));
  const changed = () => events.emit('change');

  async function list(): Promise<InterfaceState[]> {
    return snapshot();
  }

  return {
    list,
    async setMtu(name, mtu) {
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new Error(`invalid mtu ${mtu} for ${name}`);
      get(name).state.mtu = mtu;
      changed();
    },
    async setUp(name, up) {
      get(name).state.up = up;
      changed();
    },
    async addresses(name) {
      return [...get(name).addresses];
    },
    async addAddress(name, cidr) {
      const link = get(name);
      const m = CIDR.exec(cidr);
      if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) throw new Error(`invalid IPv4 CIDR ${cidr}`);
      // Like `ip addr add`: adding an address twice is an error.
      if (link.addresses.includes(cidr)) throw new Error(`address ${cidr} already exists on ${name}`);
      link.addresses.push(cidr);
    },
    waitForMac(mac, opts) {
      return waitForMacWith(mac, opts, {
        list,
        subscribe(onChange) {
          events.on('change', onChange);
          return () => events.off('change', onChange);
        },
        recheckMs: 0, // every change emits an event; nothing can be missed
      });
    },
    addLink(mac, name, init) {
      const existing = findByMac(snapshot(), mac);
      if (existing) return existing;
      const linkName = name ?? `eth${nextIndex}`;
      if (links.has(linkName)) throw new Error(`an interface named ${linkName} already exists`);
      nextIndex++;
      const state: InterfaceState = { name: linkName, mac: normalizeMac(mac), mtu: init?.mtu ?? 1500, up: init?.up ?? false };
      links.set(linkName, { state, addresses: [] });
      changed();
      return { ...state };
    },
    removeLink(mac) {
      const found = findByMac(snapshot(), mac);
      if (!found) return false;
      links.delete(found.name);
      changed();
      return true;
    },
  };
}
