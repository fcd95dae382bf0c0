// A simulated Kubernetes node: an IMDS endpoint for its EC2 instance, and network interfaces
// that appear when ENIs are attached to the instance in the EC2 emulator (and vanish on detach).
// Root: a network namespace per node with real (dummy or veth) interfaces; otherwise in memory.
import type { EniFacts, InstanceFacts } from '../domain/types';
import { createIpRouteBackend } from '../linux/iproute';
import type { LinkBackend } from '../linux/links';
import { createMemoryLinks, type MemoryLinks } from '../linux/memoryLinks';
import { startImdsServer, type ImdsServer, type ImdsSnapshot } from './imdsServer';
import { addDummyInterface, createNamespace, deleteInterface, deleteNamespace } from './netns';

export interface SimulatedNode {
  name: string;
  instanceId: string;
  imdsEndpoint: string;
  /** The node's network namespace ('netns' mode only). */
  netns?: string;
  links: LinkBackend;
  primaryMac: string;
  /** Reconcile the node's interfaces with the ENIs attached to its instance right now. */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

export interface SimulatedNodeOptions {
  name: string;
  instanceId: string;
  region: string;
  mode: 'netns' | 'memory';
  describe: (instanceId: string) => Promise<InstanceFacts>;
  /** Background reconcile period; default 500 ms. */
  syncIntervalMs?: number;
  /** Where the IMDS server listens; default 127.0.0.1 on a free port. */
  imdsHost?: string;
}

/** The primary interface's name and MTU, as on an AWS Nitro instance. */
export const PRIMARY_NAME = 'ens5';
export const PRIMARY_MTU = 9001;

/** How the node's interfaces are actually added and removed, per mode. */
interface Plug {
  links: LinkBackend;
  netns?: string;
  add(mac: string, name: string, init: { mtu: number; up: boolean }): Promise<void>;
  remove(name: string, mac: string): Promise<void>;
  close(): Promise<void>;
}

function isAttachedTo(eni: EniFacts, instanceId: string): boolean {
  return eni.attachment?.instanceId === instanceId && eni.attachment.status === 'attached';
}

function primaryEni(facts: InstanceFacts): EniFacts {
  const eni = facts.networkInterfaces.find((e) => e.attachment?.deviceIndex === 0);
  if (!eni) throw new Error(`instance ${facts.instanceId} has no primary network interface (device index 0)`);
  return eni;
}

export function snapshotFromFacts(facts: InstanceFacts, region: string): ImdsSnapshot {
  const primary = primaryEni(facts);
  return {
    instanceId: facts.instanceId,
    region,
    availabilityZone: facts.availabilityZone,
    instanceType: facts.instanceType,
    privateIpAddress: primary.privateIpAddress ?? '',
    httpTokens: facts.metadataOptions.httpTokens,
    httpEndpoint: facts.metadataOptions.httpEndpoint,
    hopLimit: facts.metadataOptions.httpPutResponseHopLimit,
    interfaces: facts.networkInterfaces
      .filter((e) => isAttachedTo(e, facts.instanceId))
      .map((e) => ({
        mac: e.mac.toLowerCase(),
        deviceNumber: e.attachment?.deviceIndex ?? 0,
        interfaceId: e.eniId,
        subnetId: e.subnetId,
        vpcId: facts.vpcId,
        localIpv4s: e.privateIpAddress ? [e.privateIpAddress] : [],
        securityGroupIds: e.securityGroupIds,
      })),
  };
}

async function netnsPlug(nodeName: string): Promise<Plug> {
  const safe = nodeName.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 20);
  const ns = await createNamespace(`eniflow-${safe}`);
  return {
    links: createIpRouteBackend({ netns: ns }),
    netns: ns,
    add: (mac, name, init) => addDummyInterface(ns, { name, mac, mtu: init.mtu, up: init.up }),
    remove: (name) => deleteInterface(ns, name),
    close: () => deleteNamespace(ns),
  };
}

function memoryPlug(): Plug {
  const links: MemoryLinks = createMemoryLinks();
  return {
    links,
    add: async (mac, name, init) => void links.addLink(mac, name, init),
    remove: async (_name, mac) => void links.removeLink(mac),
    close: async () => undefined,
  };
}

export async function startSimulatedNode(opts: SimulatedNodeOptions): Promise<SimulatedNode> {
  const facts = await opts.describe(opts.instanceId);
  const primaryMac = primaryEni(facts).mac.toLowerCase();
  const plug = opts.mode === 'netns' ? await netnsPlug(opts.name) : memoryPlug();

  let imds: ImdsServer | undefined;
  try {
    await plug.add(primaryMac, PRIMARY_NAME, { mtu: PRIMARY_MTU, up: true });
    imds = await startImdsServer({
      host: opts.imdsHost,
      source: { snapshot: async () => snapshotFromFacts(await opts.describe(opts.instanceId), opts.region) },
    });
  } catch (err) {
    await plug.close().catch(() => undefined);
    throw err;
  }

  // Names come from a counter of appearance, never reused, and never the name a guess from
  // the device index would give (ens<index+5>): eniflow has to match by MAC to find them.
  let nextSlot = 6;
  const allocateName = (deviceIndex: number, taken: Set<string>): string => {
    for (;;) {
      const name = `ens${nextSlot++}`;
      if (name !== `ens${deviceIndex + 5}` && !taken.has(name)) return name;
    }
  };

  let stopped = false;
  const reconcile = async (): Promise<void> => {
    if (stopped) return;
    const current = await opts.describe(opts.instanceId);
    const wanted = new Map<string, number>(); // mac → device index
    for (const eni of current.networkInterfaces) {
      const index = eni.attachment?.deviceIndex ?? 0;
      if (index > 0 && isAttachedTo(eni, opts.instanceId)) wanted.set(eni.mac.toLowerCase(), index);
    }
    const present = await plug.links.list();
    const taken = new Set(present.map((l) => l.name));
    for (const link of present) {
      const mac = link.mac.toLowerCase();
      if (mac === primaryMac || wanted.has(mac) || stopped) continue;
      await plug.remove(link.name, mac);
    }
    const presentMacs = new Set(present.map((l) => l.mac.toLowerCase()));
    // Lower device indices plug in first, as a hot-plug of attachments in order would.
    for (const [mac, index] of [...wanted].sort((a, b) => a[1] - b[1])) {
      if (presentMacs.has(mac) || stopped) continue;
      const name = allocateName(index, taken);
      taken.add(name);
      // A hot-plugged ENI starts DOWN with the default MTU; configuring it is eniflow's job.
      await plug.add(mac, name, { mtu: 1500, up: false });
    }
  };

  // One reconcile at a time; every sync() call gets a run that starts after it was called.
  let chain: Promise<void> = Promise.resolve();
  const sync = (): Promise<void> => {
    const run = chain.then(reconcile);
    chain = run.catch(() => undefined);
    return run;
  };

  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight || stopped) return;
    inFlight = true;
    // Background errors (e.g. the emulator restarting) are retried on the next tick.
    sync()
      .catch(() => undefined)
      .finally(() => (inFlight = false));
  }, opts.syncIntervalMs ?? 500);
  timer.unref();

  await sync().catch(async (err: unknown) => {
    stopped = true;
    clearInterval(timer);
    await imds?.stop();
    await plug.close().catch(() => undefined);
    throw err;
  });

  return {
    name: opts.name,
    instanceId: opts.instanceId,
    imdsEndpoint: imds.endpoint,
    netns: plug.netns,
    links: plug.links,
    primaryMac,
    sync,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await chain;
      await imds?.stop();
      await plug.close();
    },
  };
}
