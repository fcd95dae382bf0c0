import { SEED_IMDS_ENV } from '../helpers/seed';
import { ConfigError, IMDS_IPV4_ENDPOINT, IMDS_IPV6_ENDPOINT, IMDS_VARIABLES, loadImdsConfig } from '../../src/config/imdsEnv';

describe('loadImdsConfig', () => {
  it('uses the seed defaults (auto-configuration ON, hop limit 2) and the SDK defaults (1 s, 1 attempt) when nothing is set', () => {
    expect(loadImdsConfig({})).toEqual({
      disabled: false,
      v1Disabled: false,
      endpointMode: 'IPv4',
      endpoint: 'http://169.254.169.254',
      timeoutMs: 1000,
      numAttempts: 1,
      autoConfigureHopLimit: true,
      hopLimit: 2,
    });
  });

  it('parses the seed deployment exactly as written', () => {
    expect(loadImdsConfig(SEED_IMDS_ENV)).toEqual({
      disabled: false,
      v1Disabled: false,
      endpointMode: 'IPv4',
      endpoint: 'http://169.254.169.254',
      timeoutMs: 10_000,
      numAttempts: 3,
      autoConfigureHopLimit: true,
      hopLimit: 2,
    });
  });

  it('reads every variable', () => {
    const config = loadImdsConfig({
      AWS_EC2_METADATA_DISABLED: 'TRUE',
      AWS_EC2_METADATA_V1_DISABLED: 'True',
      AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'ipv6',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'https://imds.example.test:8443/',
      AWS_METADATA_SERVICE_TIMEOUT: '0.25',
      AWS_METADATA_SERVICE_NUM_ATTEMPTS: '4',
      IMDS_AUTO_CONFIGURE_HOP_LIMIT: 'FALSE',
      IMDS_HOP_LIMIT: '64',
      EC2_INSTANCE_ID: 'i-0123456789abcdef0',
    });
    expect(config).toEqual({
      disabled: true,
      v1Disabled: true,
      endpointMode: 'IPv6',
      endpoint: 'https://imds.example.test:8443', // the explicit endpoint wins over the mode
      timeoutMs: 250,
      numAttempts: 4,
      autoConfigureHopLimit: false,
      hopLimit: 64,
      instanceId: 'i-0123456789abcdef0',
    });
  });

  it.each([
    ['IPv6', IMDS_IPV6_ENDPOINT],
    ['IPV6', IMDS_IPV6_ENDPOINT],
    ['ipv4', IMDS_IPV4_ENDPOINT],
  ])('endpoint mode %s → %s', (mode, endpoint) => {
    expect(loadImdsConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: mode }).endpoint).toBe(endpoint);
  });

  it('IPv6 mode means [fd00:ec2::254]', () => {
    expect(loadImdsConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' }).endpoint).toBe('http://[fd00:ec2::254]');
  });

  it('accepts a bracketed IPv6 endpoint with a port', () => {
    expect(loadImdsConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://[::1]:1338' }).endpoint).toBe('http://[::1]:1338');
  });

  it('treats empty values as unset', () => {
    expect(loadImdsConfig({ IMDS_HOP_LIMIT: '', IMDS_AUTO_CONFIGURE_HOP_LIMIT: ' ' })).toMatchObject({ hopLimit: 2, autoConfigureHopLimit: true });
  });

  it('does not read unrelated variables and defaults to process.env', () => {
    const saved = process.env.IMDS_HOP_LIMIT;
    process.env.IMDS_HOP_LIMIT = '7';
    try {
      expect(loadImdsConfig().hopLimit).toBe(7);
    } finally {
      if (saved === undefined) delete process.env.IMDS_HOP_LIMIT;
      else process.env.IMDS_HOP_LIMIT = saved;
    }
  });

  it.each([
    ['AWS_EC2_METADATA_DISABLED', 'yes', /true or false/],
    ['AWS_EC2_METADATA_DISABLED', '1', /true or false/],
    ['AWS_EC2_METADATA_V1_DISABLED', 'on', /true or false/],
    ['IMDS_AUTO_CONFIGURE_HOP_LIMIT', 'enabled', /true or false/],
    ['AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE', 'dualstack', /IPv4 or IPv6/],
    ['AWS_EC2_METADATA_SERVICE_ENDPOINT', 'ftp://169.254.169.254', /http/],
    ['AWS_EC2_METADATA_SERVICE_ENDPOINT', '169.254.169.254', /http/],
    ['AWS_METADATA_SERVICE_TIMEOUT', '0', /seconds/],
    ['AWS_METADATA_SERVICE_TIMEOUT', '-1', /seconds/],
    ['AWS_METADATA_SERVICE_TIMEOUT', 'ten', /seconds/],
    ['AWS_METADATA_SERVICE_NUM_ATTEMPTS', '0', /integer/],
    ['AWS_METADATA_SERVICE_NUM_ATTEMPTS', '2.5', /integer/],
    ['IMDS_HOP_LIMIT', '0', /1 to 64/],
    ['IMDS_HOP_LIMIT', '65', /1 to 64/],
    ['IMDS_HOP_LIMIT', 'two', /1 to 64/],
    ['EC2_INSTANCE_ID', 'i-123', /i-0123456789abcdef0/],
    ['EC2_INSTANCE_ID', 'node-1', /i-0123456789abcdef0/],
  ])('%s=%s is rejected with an error that names the variable and what it accepts', (variable, value, accepted) => {
    let caught: unknown;
    try {
      loadImdsConfig({ [variable]: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.variable).toBe(variable);
    expect(err.value).toBe(value);
    expect(err.message).toContain(variable);
    expect(err.message).toContain(JSON.stringify(value));
    expect(err.message).toMatch(accepted);
  });

  it('lists every variable the seed documents', () => {
    expect([...IMDS_VARIABLES].sort()).toEqual(
      [
        'AWS_EC2_METADATA_DISABLED',
        'AWS_EC2_METADATA_V1_DISABLED',
        'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE',
        'AWS_EC2_METADATA_SERVICE_ENDPOINT',
        'AWS_METADATA_SERVICE_TIMEOUT',
        'AWS_METADATA_SERVICE_NUM_ATTEMPTS',
        'IMDS_AUTO_CONFIGURE_HOP_LIMIT',
        'IMDS_HOP_LIMIT',
        'EC2_INSTANCE_ID',
      ].sort(),
    );
  });

  it('returns plain JSON-safe data (it travels in Temporal payloads)', () => {
    const config = loadImdsConfig({ EC2_INSTANCE_ID: 'i-0123456789abcdef0' });
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });
});
