// The iproute2 backend and configureInterface against a real network namespace (root only).
import { execFileSync } from 'node:child_process';
import { addDummyInterface, canUseNetns, createNamespace, deleteNamespace, ipIn, isRoot, namespaceExists } from '../../src/dev/netns';
import { configureInterface, deconfigureInterface } from '../../src/linux/configure';
import { createIpRouteBackend } from '../../src/linux/iproute';
import { InterfaceNotFoundError, WaitAbortedError, type LinkBackend } from '../../src/linux/links';
import { describeIf } from '../helpers/requires';

const describeRoot = describeIf(isRoot() ? undefined : 'they need root to create network namespaces', 'linux-iproute tests');

const PRIMARY = '02:e1:00:00:00:05';
const ENI = '02:e1:00:00:00:a1';

/** Number of `ip monitor` processes running for this namespace (to prove clean-up). */
function monitorsFor(ns: string): number {
  const out = execFileSync('ps', ['-eo', 'args']).toString();
  return out.split('\n').filter((l) => l.includes(`-n ${ns} monitor link`)).length;
}

async function linkJson(ns: string, name: string): Promise<{ mtu: number; flags: string[] }> {
  return (JSON.parse(await ipIn(ns, ['-j', 'link', 'show', 'dev', name])) as Array<{ mtu: number; flags: string[] }>)[0];
}

describeRoot('iproute2 link backend in a network namespace', () => {
  let ns: string;
  let links: LinkBackend;

  beforeEach(async () => {
    ns = await createNamespace('eniflow-test');
    await addDummyInterface(ns, { name: 'ens5', mac: PRIMARY, mtu: 9001, up: true });
    links = createIpRouteBackend({ netns: ns });
  });
  afterEach(async () => {
    await deleteNamespace(ns);
    expect(await namespaceExists(ns)).toBe(false);
  });

  test('canUseNetns is true for root with iproute2, and namespace names are unique per run', async () => {
    expect(await canUseNetns()).toBe(true);
    expect(ns).toContain(`-${process.pid}-`);
    const other = await createNamespace('eniflow-test');
    try {
      expect(other).not.toBe(ns);
    } finally {
      await deleteNamespace(other);
    }
    expect(await namespaceExists(other)).toBe(false);
  });

  test('list, setMtu, setUp and addresses read and change the real kernel state', async () => {
    await addDummyInterface(ns, { name: 'ens9', mac: ENI });
    const listed = await links.list();
    expect(listed).toEqual([
      { name: 'ens5', mac: PRIMARY, mtu: 9001, up: true },
      { name: 'ens9', mac: ENI, mtu: 1500, up: false },
    ]);
    await links.setMtu('ens9', 9001);
    await links.setUp('ens9', true);
    await links.addAddress('ens9', '10.0.3.7/24');
    const raw = await linkJson(ns, 'ens9');
    expect(raw.mtu).toBe(9001);
    expect(raw.flags).toContain('UP');
    expect(await links.addresses('ens9')).toEqual(['10.0.3.7/24']);
    await links.setUp('ens9', false);
    expect((await linkJson(ns, 'ens9')).flags).not.toContain('UP');
    await expect(links.setMtu('nope0', 1500)).rejects.toThrow(/nope0 does not exist/);
  });

  test('waitForMac resolves on hot-plug of a link that was not there when the wait began', async () => {
    expect((await links.list()).some((l) => l.mac === ENI)).toBe(false);
    const started = Date.now();
    let beats = 0;
    const waiting = links.waitForMac(ENI.toUpperCase(), { timeoutMs: 20_000, onWaiting: () => beats++ });
    await new Promise((r) => setTimeout(r, 2500));
    expect(monitorsFor(ns)).toBe(1);
    const plugged = Date.now();
    await addDummyInterface(ns, { name: 'ens11', mac: ENI });
    const found = await waiting;
    expect(found).toEqual({ name: 'ens11', mac: ENI, mtu: 1500, up: false });
    // Event-driven: found well before the 2 s safety re-check would have fired again.
    expect(Date.now() - plugged).toBeLessThan(1500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(beats).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(monitorsFor(ns)).toBe(0);
  });

  test('waitForMac times out with InterfaceNotFoundError naming the MAC and the existing links', async () => {
    const err = await links.waitForMac(ENI, { timeoutMs: 700 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterfaceNotFoundError);
    expect((err as Error).message).toContain(ENI);
    expect((err as Error).message).toContain(`ens5 (${PRIMARY})`);
    expect(monitorsFor(ns)).toBe(0);
  });

  test('waitForMac honours abort and stops its monitor', async () => {
    const ac = new AbortController();
    const waiting = links.waitForMac(ENI, { timeoutMs: 30_000, signal: ac.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    expect(await waiting).toBeInstanceOf(WaitAbortedError);
    await new Promise((r) => setTimeout(r, 100));
    expect(monitorsFor(ns)).toBe(0);
  });

  test('configureInterface sets MTU 9001 and up, is idempotent, and guards the primary', async () => {
    const configuring = configureInterface(links, { mac: ENI, mtu: 9001, timeoutMs: 10_000, protectedMacs: [PRIMARY] });
    setTimeout(() => void addDummyInterface(ns, { name: 'ens7', mac: ENI }), 200);
    const report = await configuring;
    expect(report.changed).toBe(true);
    expect(report.before).toEqual({ name: 'ens7', mac: ENI, mtu: 1500, up: false });
    expect(report.after).toEqual({ name: 'ens7', mac: ENI, mtu: 9001, up: true });
    const raw = await linkJson(ns, 'ens7');
    expect(raw.mtu).toBe(9001);
    expect(raw.flags).toContain('UP');

    const setMtu = jest.spyOn(links, 'setMtu');
    const setUp = jest.spyOn(links, 'setUp');
    const again = await configureInterface(links, { mac: ENI, mtu: 9001, timeoutMs: 2000, protectedMacs: [PRIMARY] });
    expect(again.changed).toBe(false);
    expect(again.after).toEqual(report.after);
    expect(setMtu).not.toHaveBeenCalled();
    expect(setUp).not.toHaveBeenCalled();

    await expect(configureInterface(links, { mac: PRIMARY, mtu: 1500, timeoutMs: 1000, protectedMacs: [PRIMARY] })).rejects.toThrow(/protected/);
    expect((await linkJson(ns, 'ens5')).mtu).toBe(9001);
    await expect(configureInterface(links, { mac: ENI, mtu: 9002, timeoutMs: 1000 })).rejects.toThrow(/mtu/);
    expect((await linkJson(ns, 'ens7')).mtu).toBe(9001);

    expect(await deconfigureInterface(links, ENI)).toMatchObject({ name: 'ens7', up: false });
    expect((await linkJson(ns, 'ens7')).flags).not.toContain('UP');
  });
});
