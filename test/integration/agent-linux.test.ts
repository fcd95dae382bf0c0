// The node agent's Linux side on real interfaces in a network namespace (root only): addressing
// 'primary', the primary interface left alone even when a request asks for it, and waits ended by
// the agent's shutdown. Complements linux-iproute.test.ts (MTU, up, hot-plug, timeout, abort).
import { execFileSync } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { addDummyInterface, createNamespace, deleteNamespace, ipIn, isRoot } from '../../src/dev/netns';
import { createNodeActivities } from '../../src/activities/node';
import { loadImdsConfig } from '../../src/config/imdsEnv';
import type { ImdsClient } from '../../src/aws/imds';
import { configureInterface, deconfigureInterface, ProtectedInterfaceError } from '../../src/linux/configure';
import { guardLinks, primaryMacFromImds } from '../../src/linux/guardedLinks';
import { createIpRouteBackend } from '../../src/linux/iproute';
import { WaitAbortedError, type LinkBackend } from '../../src/linux/links';
import { describeIf } from '../helpers/requires';

const describeRoot = describeIf(isRoot() ? undefined : 'they need root to create network namespaces', 'agent-linux tests');

const PRIMARY = '02:e2:00:00:00:05';
const ENI = '02:e2:00:00:00:b1';
const CIDR = '10.42.1.37/24';

async function linkJson(ns: string, name: string): Promise<{ mtu: number; flags: string[] }> {
  return (JSON.parse(await ipIn(ns, ['-j', 'link', 'show', 'dev', name])) as Array<{ mtu: number; flags: string[] }>)[0];
}

/** Every IPv4 address entry on the link, duplicates included (the kernel's own view). */
async function ipv4Entries(ns: string, name: string): Promise<string[]> {
  const rows = JSON.parse(await ipIn(ns, ['-j', '-4', 'addr', 'show', 'dev', name])) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>;
  return rows.flatMap((r) => r.addr_info).map((a) => `${a.local}/${a.prefixlen}`);
}

function monitorsFor(ns: string): number {
  return execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.includes(`-n ${ns} monitor link`)).length;
}

/** An IMDS client that knows only the primary MAC; counts reads. */
function fakeImds(primaryMac: string | undefined): ImdsClient & { reads: number } {
  const imds = {
    reads: 0,
    async get(path: string) {
      imds.reads++;
      if (path === '/latest/meta-data/mac' && primaryMac) return { value: primaryMac, imdsVersion: 'v2' as const };
      throw new Error(`IMDS: no ${path}`);
    },
    async identity(): Promise<never> {
      throw new Error('not used here');
    },
  };
  return imds;
}

describeRoot('node agent on real interfaces', () => {
  let ns: string;
  let links: LinkBackend;

  beforeEach(async () => {
    ns = await createNamespace('eniflow-agent');
    await addDummyInterface(ns, { name: 'ens5', mac: PRIMARY, mtu: 9001, up: true });
    links = createIpRouteBackend({ netns: ns });
  });
  afterEach(async () => {
    await deleteNamespace(ns);
  });

  test("addressing 'primary' adds the ENI's address once; a second run changes nothing", async () => {
    const want = { mac: ENI, mtu: 9001, addressing: 'primary' as const, primaryIpCidr: CIDR, timeoutMs: 10_000, protectedMacs: [PRIMARY] };
    const configuring = configureInterface(links, want);
    setTimeout(() => void addDummyInterface(ns, { name: 'ens8', mac: ENI }), 200);
    const first = await configuring;
    expect(first.changed).toBe(true);
    expect(first.after).toEqual({ name: 'ens8', mac: ENI, mtu: 9001, up: true });
    expect(await ipv4Entries(ns, 'ens8')).toEqual([CIDR]);

    const addAddress = jest.spyOn(links, 'addAddress');
    const second = await configureInterface(links, want);
    expect(second.changed).toBe(false);
    expect(addAddress).not.toHaveBeenCalled();
    expect(await ipv4Entries(ns, 'ens8')).toEqual([CIDR]);
    // The primary interface has no address from eniflow and keeps its state.
    expect(await ipv4Entries(ns, 'ens5')).toEqual([]);
  });

  test("two overlapping runs with addressing 'primary' both succeed and the address is there once", async () => {
    await addDummyInterface(ns, { name: 'ens9', mac: ENI });
    const want = { mac: ENI, mtu: 9001, addressing: 'primary' as const, primaryIpCidr: CIDR, timeoutMs: 5_000 };
    const reports = await Promise.all([configureInterface(links, want), configureInterface(links, want)]);
    expect(reports.map((r) => r.after)).toEqual([
      { name: 'ens9', mac: ENI, mtu: 9001, up: true },
      { name: 'ens9', mac: ENI, mtu: 9001, up: true },
    ]);
    expect(await ipv4Entries(ns, 'ens9')).toEqual([CIDR]);
  });

  test("addressing 'primary' without a CIDR is refused before anything changes", async () => {
    await addDummyInterface(ns, { name: 'ens9', mac: ENI });
    await expect(configureInterface(links, { mac: ENI, mtu: 9001, addressing: 'primary', timeoutMs: 1000 })).rejects.toThrow(/primaryIpCidr/);
    expect((await linkJson(ns, 'ens9')).mtu).toBe(1500);
  });

  test('the agent guard leaves the primary interface (IMDS mac) alone even when a request does not protect it', async () => {
    const imds = fakeImds(PRIMARY);
    const guarded = guardLinks(links, { protectedMacs: primaryMacFromImds((p) => imds.get(p)) });
    // The request forgot protectedMacs: the guard still refuses, before any change.
    await expect(configureInterface(guarded, { mac: PRIMARY.toUpperCase(), mtu: 1500, timeoutMs: 1000, protectedMacs: [] })).rejects.toBeInstanceOf(ProtectedInterfaceError);
    // Asking for the state it already has touches nothing, so it is not refused.
    await expect(configureInterface(guarded, { mac: PRIMARY, mtu: 9001, timeoutMs: 1000 })).resolves.toMatchObject({ changed: false });
    await expect(configureInterface(guarded, { mac: PRIMARY, mtu: 9001, addressing: 'primary', primaryIpCidr: CIDR, timeoutMs: 1000 })).rejects.toBeInstanceOf(ProtectedInterfaceError);
    await expect(deconfigureInterface(guarded, PRIMARY)).rejects.toBeInstanceOf(ProtectedInterfaceError);
    await expect(guarded.setUp('ens5', false)).rejects.toBeInstanceOf(ProtectedInterfaceError);
    const ens5 = await linkJson(ns, 'ens5');
    expect(ens5.mtu).toBe(9001);
    expect(ens5.flags).toContain('UP');
    expect(await ipv4Entries(ns, 'ens5')).toEqual([]);

    // Other interfaces are changed as asked; the primary MAC was read from IMDS once.
    await addDummyInterface(ns, { name: 'ens6', mac: ENI });
    expect(await configureInterface(guarded, { mac: ENI, mtu: 9001, timeoutMs: 1000 })).toMatchObject({ changed: true, after: { mtu: 9001, up: true } });
    expect(imds.reads).toBe(1);
  });

  test('without IMDS the guard relies on the request and does not ask IMDS on every change', async () => {
    const imds = fakeImds(undefined);
    const guarded = guardLinks(links, { protectedMacs: primaryMacFromImds((p) => imds.get(p), 60_000) });
    await addDummyInterface(ns, { name: 'ens6', mac: ENI });
    await configureInterface(guarded, { mac: ENI, mtu: 9001, timeoutMs: 1000 });
    await deconfigureInterface(guarded, ENI);
    expect(imds.reads).toBe(1);
    await expect(configureInterface(guarded, { mac: PRIMARY, mtu: 1500, timeoutMs: 1000, protectedMacs: [PRIMARY] })).rejects.toThrow(/protected/);
    expect((await linkJson(ns, 'ens5')).mtu).toBe(9001);
  });

  test('the configureInterface activity fails non-retryably with ProtectedInterface for the primary', async () => {
    const imds = fakeImds(PRIMARY);
    const activities = createNodeActivities({
      nodeName: 'agent-test',
      imds,
      imdsConfig: loadImdsConfig({}),
      links: guardLinks(links, { protectedMacs: primaryMacFromImds((p) => imds.get(p)) }),
    });
    const env = new MockActivityEnvironment();
    for (const protectedMacs of [[PRIMARY], []]) {
      const err = await env.run(activities.configureInterface, { mac: PRIMARY, mtu: 1500, addressing: 'none' as const, protectedMacs }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'ProtectedInterface', nonRetryable: true });
    }
    expect((await linkJson(ns, 'ens5')).mtu).toBe(9001);
  });

  test("the agent's shutdown ends a hot-plug wait at once and stops its monitor", async () => {
    const stopping = new AbortController();
    const guarded = guardLinks(links, { protectedMacs: async () => [], shutdownSignal: stopping.signal });
    const activityAbort = new AbortController();
    const waiting = configureInterface(guarded, { mac: ENI, mtu: 9001, timeoutMs: 60_000, signal: activityAbort.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    expect(monitorsFor(ns)).toBe(1);
    const stopped = Date.now();
    stopping.abort();
    expect(await waiting).toBeInstanceOf(WaitAbortedError);
    expect(Date.now() - stopped).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 100));
    expect(monitorsFor(ns)).toBe(0);
  });
});
