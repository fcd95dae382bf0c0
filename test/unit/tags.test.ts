import { clientToken, eniTags, TAG_NO_MANAGE } from '../../src/domain/tags';

const key = { cluster: 'c1', nodeEniName: 'multus', nodeName: 'node-a', subnetId: 'subnet-0123456789abcdef0' };

describe('ENI tags and ClientToken', () => {
  it('derives the same ClientToken for the same key and a different one for another subnet', () => {
    expect(clientToken(key)).toBe(clientToken({ ...key }));
    expect(clientToken(key)).not.toBe(clientToken({ ...key, subnetId: 'subnet-0123456789abcdef1' }));
    expect(clientToken(key).length).toBeLessThanOrEqual(64);
  });
  it('is the same for every retry of one create, and new for a later lifetime of the same ENI', () => {
    expect(clientToken(key, 'run-1/1')).toBe(clientToken(key, 'run-1/1'));
    expect(clientToken(key, 'run-1/1')).not.toBe(clientToken(key, 'run-2/1'));
    expect(clientToken(key, 'run-1/1')).not.toBe(clientToken(key, 'run-1/2'));
  });
  it('always carries no_manage=true so the VPC CNI leaves the ENI alone', () => {
    expect(eniTags(key, { team: 'x' })[TAG_NO_MANAGE]).toBe('true');
    expect(eniTags(key, { [TAG_NO_MANAGE]: 'false' })[TAG_NO_MANAGE]).toBe('true');
  });
});
