import { throttleRetryDelayMs } from '../../src/activities/failures';
import { planDeviceIndices, DeviceIndexExhaustedError } from '../../src/domain/deviceIndex';
import { parseProviderId, regionOfZone } from '../../src/domain/providerId';

describe('device-index planning', () => {
  it('gives each subnet base + position on an empty instance', () => {
    const plan = planDeviceIndices([{ key: 'a', preferredIndex: 1 }, { key: 'b', preferredIndex: 2 }], [{ deviceIndex: 0 }]);
    expect([...plan.entries()]).toEqual([['a', 1], ['b', 2]]);
  });
  it('skips indices other ENIs hold, and never plans 0', () => {
    const plan = planDeviceIndices([{ key: 'a', preferredIndex: 0 }, { key: 'b', preferredIndex: 2 }], [{ deviceIndex: 0 }, { deviceIndex: 1 }, { deviceIndex: 2 }]);
    expect(plan.get('a')).toBe(3);
    expect(plan.get('b')).toBe(4);
  });
  it('keeps the index of an ENI of ours that is already attached (stable across runs)', () => {
    const plan = planDeviceIndices([{ key: 'a', preferredIndex: 1 }, { key: 'b', preferredIndex: 2 }], [{ deviceIndex: 0 }, { key: 'b', deviceIndex: 1 }]);
    expect(plan.get('b')).toBe(1);
    expect(plan.get('a')).toBe(2);
  });
  it('fails clearly when no index is left', () => {
    expect(() => planDeviceIndices([{ key: 'a', preferredIndex: 1 }], [{ deviceIndex: 0 }, { deviceIndex: 1 }, { deviceIndex: 2 }], 2)).toThrow(DeviceIndexExhaustedError);
  });
});

describe('providerID', () => {
  it('parses aws:///<az>/<instance>', () => {
    expect(parseProviderId('aws:///eu-west-1b/i-0123456789abcdef0')).toEqual({ instanceId: 'i-0123456789abcdef0', availabilityZone: 'eu-west-1b', region: 'eu-west-1' });
  });
  it('rejects other shapes', () => {
    expect(parseProviderId('gce://p/z/n')).toBeUndefined();
    expect(parseProviderId('aws:///eu-west-1b/not-an-instance')).toBeUndefined();
  });
  it('derives regions from zones, local zones included', () => {
    expect(regionOfZone('us-west-2-lax-1a')).toBe('us-west-2');
    expect(regionOfZone('ap-southeast-2c')).toBe('ap-southeast-2');
  });
});

describe('throttling retry delay (full jitter)', () => {
  it('spreads retries between a floor and an exponential cap of at most 30 s', () => {
    expect(throttleRetryDelayMs(1, () => 0)).toBe(500);
    expect(throttleRetryDelayMs(1, () => 0.999)).toBe(1998);
    expect(throttleRetryDelayMs(3, () => 0.5)).toBe(4000);
    expect(throttleRetryDelayMs(10, () => 0.999)).toBe(29970);
    const delays = new Set(Array.from({ length: 20 }, () => throttleRetryDelayMs(4)));
    expect(delays.size).toBeGreaterThan(1);
  });
});
