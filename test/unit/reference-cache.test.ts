import type { EC2Client } from '@aws-sdk/client-ec2';
import { cachedResolver } from '../../src/aws/referenceCache';
import { ReferenceNotFoundError } from '../../src/aws/subnets';

/** A stand-in EC2 that answers DescribeSubnets by tag Name and counts the calls. */
function fakeEc2(subnets: Array<{ id: string; name: string }>) {
  let calls = 0;
  const ec2 = {
    send: async () => {
      calls++;
      return { Subnets: subnets.map((s) => ({ SubnetId: s.id, VpcId: 'vpc-1', CidrBlock: '10.0.0.0/24', AvailabilityZone: 'eu-west-1a', Tags: [{ Key: 'Name', Value: s.name }] })) };
    },
  } as unknown as EC2Client;
  return { ec2, calls: () => calls };
}

describe('cached subnet and security-group references', () => {
  const refs = { vpcId: 'vpc-1', ids: [], names: ['multus'] };

  it('asks EC2 once per minute for the same references, whatever the number of nodes', async () => {
    let clock = 0;
    const resolver = cachedResolver(60_000, () => clock);
    const { ec2, calls } = fakeEc2([{ id: 'subnet-0000000a', name: 'multus' }]);
    const answers = await Promise.all(Array.from({ length: 10 }, () => resolver.subnets(ec2, 'eu-west-1', refs)));
    expect(answers.every((a) => a[0].subnetId === 'subnet-0000000a')).toBe(true);
    expect(calls()).toBe(1);
    await resolver.subnets(ec2, 'eu-west-2', refs); // another region is another answer
    expect(calls()).toBe(2);
    clock = 60_001;
    await resolver.subnets(ec2, 'eu-west-1', refs);
    expect(calls()).toBe(3);
  });

  it('does not keep failures: a subnet created after a typo is found at the next try', async () => {
    const resolver = cachedResolver(60_000, () => 0);
    const missing = fakeEc2([]);
    await expect(resolver.subnets(missing.ec2, 'eu-west-1', refs)).rejects.toBeInstanceOf(ReferenceNotFoundError);
    const fixed = fakeEc2([{ id: 'subnet-0000000b', name: 'multus' }]);
    await expect(resolver.subnets(fixed.ec2, 'eu-west-1', refs)).resolves.toEqual([expect.objectContaining({ subnetId: 'subnet-0000000b' })]);
  });
});
