// doctor's pure parts: reading DryRun answers, judging the hop limit, listing the configuration.
import { classifyDryRun, configEntries, hopLimitCheck, renderDoctorReport } from '../../src/cli/doctorCommand';
import { loadImdsConfig } from '../../src/config/imdsEnv';
import type { InstanceFacts } from '../../src/domain/types';

const ec2Error = (name: string, status: number) => Object.assign(new Error(`${name} message`), { name, Code: name, $metadata: { httpStatusCode: status } });

function facts(hopLimit: number, httpTokens: 'optional' | 'required'): InstanceFacts {
  return {
    instanceId: 'i-0123456789abcdef0', state: 'running', vpcId: 'vpc-1', subnetId: 'subnet-1', availabilityZone: 'eu-west-1a', instanceType: 't3.large', networkInterfaces: [],
    metadataOptions: { httpTokens, httpPutResponseHopLimit: hopLimit, httpEndpoint: 'enabled', httpProtocolIpv6: 'disabled', instanceMetadataTags: 'disabled', state: 'applied' },
  };
}

describe('doctor checks', () => {
  it('DryRunOperation = allowed, UnauthorizedOperation = missing (named), anything else inconclusive', () => {
    expect(classifyDryRun('CreateNetworkInterface', ec2Error('DryRunOperation', 412)).status).toBe('pass');
    const missing = classifyDryRun('CreateNetworkInterface', ec2Error('UnauthorizedOperation', 403));
    expect(missing).toMatchObject({ name: 'iam:ec2:CreateNetworkInterface', status: 'fail' });
    expect(missing.remedy).toContain('ec2:CreateNetworkInterface');
    expect(classifyDryRun('DeleteNetworkInterface', ec2Error('InvalidNetworkInterfaceID.NotFound', 400)).status).toBe('warn');
    expect(classifyDryRun('DescribeSubnets', undefined).status).toBe('warn');
  });

  it('hop limit: equal passes; differing with auto-config warns; too low, tokens required, auto-config off fails', () => {
    const on = loadImdsConfig({});
    const off = loadImdsConfig({ IMDS_AUTO_CONFIGURE_HOP_LIMIT: 'false' });
    expect(hopLimitCheck(facts(2, 'required'), on).status).toBe('pass');
    expect(hopLimitCheck(facts(1, 'required'), on).status).toBe('warn');
    expect(hopLimitCheck(facts(1, 'required'), off)).toMatchObject({ status: 'fail', remedy: expect.stringContaining('--http-put-response-hop-limit 2') });
    expect(hopLimitCheck(facts(1, 'optional'), off).status).toBe('warn');
    expect(hopLimitCheck(facts(3, 'required'), loadImdsConfig({ IMDS_HOP_LIMIT: '3', IMDS_AUTO_CONFIGURE_HOP_LIMIT: 'false' })).status).toBe('pass');
  });

  it('configuration: every seed variable with its effective value and whether it is the default', () => {
    const env = { IMDS_HOP_LIMIT: '3', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'ipv6' };
    const entries = Object.fromEntries(configEntries(env, loadImdsConfig(env)).map((e) => [e.variable, e]));
    expect(Object.keys(entries)).toEqual(expect.arrayContaining(['AWS_EC2_METADATA_DISABLED', 'AWS_EC2_METADATA_V1_DISABLED', 'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE', 'AWS_EC2_METADATA_SERVICE_ENDPOINT', 'AWS_METADATA_SERVICE_TIMEOUT', 'AWS_METADATA_SERVICE_NUM_ATTEMPTS', 'IMDS_AUTO_CONFIGURE_HOP_LIMIT', 'IMDS_HOP_LIMIT', 'EC2_INSTANCE_ID']));
    expect(entries.IMDS_HOP_LIMIT).toMatchObject({ value: '3', isDefault: false });
    expect(entries.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE).toMatchObject({ value: 'IPv6', isDefault: false });
    expect(entries.AWS_EC2_METADATA_SERVICE_ENDPOINT).toMatchObject({ value: 'http://[fd00:ec2::254]', isDefault: true });
    expect(entries.IMDS_AUTO_CONFIGURE_HOP_LIMIT).toMatchObject({ value: 'true', isDefault: true });
  });

  it('the table says FAILED when anything failed', () => {
    const text = renderDoctorReport({ ok: false, config: [], checks: [{ name: 'hop-limit', status: 'fail', detail: 'x', remedy: 'y' }] });
    expect(text).toMatch(/^hop-limit\s+FAIL\s+x\s+y$/m);
    expect(text).toContain('0 pass, 0 warn, 1 fail: FAILED');
  });
});
