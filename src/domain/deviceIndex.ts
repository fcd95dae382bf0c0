// Device-index planning: which index each wanted ENI is attached at. Pure and deterministic, so
// re-running it after a crash gives the same answer for the same instance state.

export interface WantedEni {
  /** Identity of the wanted ENI (its adoption key). */
  key: string;
  /** The index the policy asks for: NodeENI.deviceIndex + position of the subnet. */
  preferredIndex: number;
}

export interface AttachedEni {
  key?: string; // set when the ENI is one of ours
  deviceIndex: number;
}

export class DeviceIndexExhaustedError extends Error {
  constructor(readonly maxIndex: number) {
    super(`no free device index up to ${maxIndex}: the instance type's network interface limit is reached`);
    this.name = 'DeviceIndexExhaustedError';
  }
}

/**
 * Plans an index per wanted ENI: an ENI of ours already attached keeps its index; the others take
 * their preferred index, or the next free one when another ENI (ours or not) holds it.
 */
export function planDeviceIndices(wanted: WantedEni[], attached: AttachedEni[], maxIndex = 31): Map<string, number> {
  const plan = new Map<string, number>();
  const used = new Set<number>(attached.map((a) => a.deviceIndex));
  used.add(0); // the primary interface
  for (const w of wanted) {
    const mine = attached.find((a) => a.key === w.key);
    if (mine) plan.set(w.key, mine.deviceIndex);
  }
  for (const w of wanted) {
    if (plan.has(w.key)) continue;
    let index = Math.max(1, w.preferredIndex);
    while (used.has(index)) index += 1;
    if (index > maxIndex) throw new DeviceIndexExhaustedError(maxIndex);
    used.add(index);
    plan.set(w.key, index);
  }
  return plan;
}
