import { InvalidMtuError, configureInterface, deconfigureInterface } from '../../src/linux/configure';
import { InterfaceNotFoundError, WaitAbortedError } from '../../src/linux/links';
import { createMemoryLinks } from '../../src/linux/memoryLinks';

const PRIMARY = '0a:00:00:00:00:05';
const ENI = '0A:11:22:33:44:55'; // upper case on purpose: matching is case-insensitive

describe('memory link backend', () => {
  test('hot-plugged links start down with MTU 1500 and can be changed', async () => {
    const links = createMemoryLinks();
    links.addLink(PRIMARY, 'ens5', { mtu: 9001, up: true });
    links.addLink(ENI, 'ens7');
    expect(await links.list()).toEqual([
      { name: 'ens5', mac: PRIMARY, mtu: 9001, up: true },
      { name: 'ens7', mac: ENI.toLowerCase(), mtu: 1500, up: false },
    ]);
    await links.setMtu('ens7', 9001);
    await links.setUp('ens7', true);
    await links.addAddress('ens7', '10.0.1.5/24');
    expect((await links.list())[1]).toEqual({ name: 'ens7', mac: ENI.toLowerCase(), mtu: 9001, up: true });
    expect(await links.addresses('ens7')).toEqual(['10.0.1.5/24']);
    await expect(links.setUp('nope0', true)).rejects.toThrow(/nope0 does not exist/);
    expect(links.removeLink(ENI)).toBe(true);
    expect(links.removeLink(ENI)).toBe(false);
    expect((await links.list()).map((l) => l.name)).toEqual(['ens5']);
  });

  test('waitForMac resolves when the link is added after the wait started', async () => {
    const links = createMemoryLinks();
    links.addLink(PRIMARY, 'ens5');
    const waiting = links.waitForMac(ENI, { timeoutMs: 5000 });
    let settled = false;
    void waiting.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    links.addLink(ENI.toLowerCase(), 'ens6');
    const found = await waiting;
    expect(found).toMatchObject({ name: 'ens6', mac: ENI.toLowerCase() });
  });

  test('waitForMac times out naming the MAC and listing the links the node has', async () => {
    const links = createMemoryLinks();
    links.addLink(PRIMARY, 'ens5');
    const started = Date.now();
    const err = await links.waitForMac(ENI, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(err).toBeInstanceOf(InterfaceNotFoundError);
    expect((err as Error).message).toContain(ENI.toLowerCase());
    expect((err as Error).message).toContain(`ens5 (${PRIMARY})`);
  });

  test('waitForMac honours abort and heartbeats while waiting', async () => {
    jest.useFakeTimers();
    try {
      const links = createMemoryLinks();
      const ac = new AbortController();
      const beats: number[] = [];
      const waiting = links.waitForMac(ENI, { timeoutMs: 60_000, signal: ac.signal, onWaiting: () => beats.push(Date.now()) });
      const outcome = waiting.catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(7000);
      expect(beats.length).toBeGreaterThanOrEqual(3);
      ac.abort();
      expect(await outcome).toBeInstanceOf(WaitAbortedError);
      // An already-aborted signal fails at once.
      await expect(links.waitForMac(ENI, { timeoutMs: 1000, signal: ac.signal })).rejects.toBeInstanceOf(WaitAbortedError);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('configureInterface on the memory backend', () => {
  test('waits for the MAC, sets MTU 9001 and up; a second run changes nothing', async () => {
    const links = createMemoryLinks();
    links.addLink(PRIMARY, 'ens5', { mtu: 9001, up: true });
    const first = configureInterface(links, { mac: ENI, mtu: 9001, timeoutMs: 5000, protectedMacs: [PRIMARY] });
    setTimeout(() => links.addLink(ENI, 'ens8'), 30);
    const report = await first;
    expect(report).toEqual({
      mac: ENI.toLowerCase(),
      name: 'ens8',
      before: { name: 'ens8', mac: ENI.toLowerCase(), mtu: 1500, up: false },
      after: { name: 'ens8', mac: ENI.toLowerCase(), mtu: 9001, up: true },
      changed: true,
    });
    const setMtu = jest.spyOn(links, 'setMtu');
    const setUp = jest.spyOn(links, 'setUp');
    const again = await configureInterface(links, { mac: ENI, mtu: 9001, timeoutMs: 1000 });
    expect(again.changed).toBe(false);
    expect(again.after).toEqual(report.after);
    expect(setMtu).not.toHaveBeenCalled();
    expect(setUp).not.toHaveBeenCalled();
  });

  test('mtu 0 leaves the MTU alone; primary addressing adds the address once', async () => {
    const links = createMemoryLinks();
    links.addLink(ENI, 'ens6');
    const r = await configureInterface(links, { mac: ENI, mtu: 0, addressing: 'primary', primaryIpCidr: '10.0.2.9/24', timeoutMs: 1000 });
    expect(r.after).toMatchObject({ mtu: 1500, up: true });
    expect(await links.addresses('ens6')).toEqual(['10.0.2.9/24']);
    const again = await configureInterface(links, { mac: ENI, mtu: 0, addressing: 'primary', primaryIpCidr: '10.0.2.9/24', timeoutMs: 1000 });
    expect(again.changed).toBe(false);
    expect(await links.addresses('ens6')).toEqual(['10.0.2.9/24']);
  });

  test('refuses the protected primary MAC and invalid requests without touching anything', async () => {
    const links = createMemoryLinks();
    links.addLink(PRIMARY, 'ens5', { mtu: 1500, up: false });
    await expect(configureInterface(links, { mac: PRIMARY.toUpperCase(), mtu: 9001, timeoutMs: 1000, protectedMacs: [PRIMARY] })).rejects.toThrow(/protected/);
    await expect(configureInterface(links, { mac: PRIMARY, mtu: 9002, timeoutMs: 1000 })).rejects.toThrow(/mtu/);
    await expect(configureInterface(links, { mac: PRIMARY, mtu: 9002, timeoutMs: 1000 })).rejects.toMatchObject({ name: 'InvalidMtuError' });
    await expect(configureInterface(links, { mac: PRIMARY, mtu: 1.5, timeoutMs: 1000 })).rejects.toBeInstanceOf(InvalidMtuError);
    await expect(configureInterface(links, { mac: PRIMARY, mtu: -1, timeoutMs: 1000 })).rejects.toThrow(/mtu/);
    await expect(configureInterface(links, { mac: 'zz', mtu: 1500, timeoutMs: 1000 })).rejects.toThrow(/mac/);
    await expect(configureInterface(links, { mac: PRIMARY, mtu: 1500, addressing: 'primary', timeoutMs: 1000 })).rejects.toThrow(/primaryIpCidr/);
    expect(await links.list()).toEqual([{ name: 'ens5', mac: PRIMARY, mtu: 1500, up: false }]);
  });

  test('deconfigureInterface takes the link down and tolerates a missing one', async () => {
    const links = createMemoryLinks();
    links.addLink(ENI, 'ens6', { up: true });
    expect(await deconfigureInterface(links, ENI)).toMatchObject({ name: 'ens6', up: false });
    links.removeLink(ENI);
    await expect(deconfigureInterface(links, ENI)).resolves.toBeUndefined();
  });
});
