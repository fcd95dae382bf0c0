import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { classifyAwsError, ReferenceNotFoundError } from '../../src/aws/errors';

/** An error shaped like the SDK's for an EC2 error response. */
function ec2Error(code: string, status: number, message = `${code} happened`): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });
}

function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyAwsError', () => {
  test.each([
    'RequestLimitExceeded',
    'Throttling',
    'InternalError',
    'Unavailable',
    'ServiceUnavailable',
  ])('%s is retryable', (code) => {
    expect(classifyAwsError(ec2Error(code, code === 'InternalError' ? 500 : code.includes('Unavailable') ? 503 : 400))).toMatchObject({ code, retryable: true });
  });

  test.each([
    'InvalidSubnetID.NotFound',
    'InvalidGroup.NotFound',
    'InvalidInstanceID.NotFound',
    'InvalidInstanceID.Malformed',
    'InvalidNetworkInterfaceID.NotFound',
    'InvalidNetworkInterfaceID.Malformed',
    'UnauthorizedOperation',
    'AccessDenied',
    'AccessDeniedException',
    'InvalidParameterValue',
    'InvalidParameterCombination',
    'AttachmentLimitExceeded',
    'NetworkInterfaceLimitExceeded',
    'InsufficientFreeAddressesInSubnet',
    'IdempotentParameterMismatch',
  ])('%s is not retryable', (code) => {
    expect(classifyAwsError(ec2Error(code, code.startsWith('Unauthorized') || code.startsWith('Access') ? 403 : 400))).toMatchObject({ code, retryable: false });
  });

  test('an unknown 5xx is retryable, an unknown 4xx is not', () => {
    expect(classifyAwsError(ec2Error('SomethingNew', 502)).retryable).toBe(true);
    expect(classifyAwsError(ec2Error('SomethingNew', 400)).retryable).toBe(false);
  });

  test.each([
    ['ECONNRESET', 'read ECONNRESET'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'],
    ['ETIMEDOUT', 'connect ETIMEDOUT'],
  ])('transport error %s is retryable', (code, message) => {
    expect(classifyAwsError(nodeError(code, message))).toMatchObject({ code, retryable: true });
  });

  test('socket hang up and SDK timeouts are retryable', () => {
    expect(classifyAwsError(new Error('socket hang up')).retryable).toBe(true);
    const timeout = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
    expect(classifyAwsError(timeout)).toMatchObject({ code: 'TimeoutError', retryable: true });
    const fetchFailed = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    expect(classifyAwsError(fetchFailed)).toMatchObject({ code: 'ECONNRESET', retryable: true });
  });

  test('UnauthorizedOperation on ModifyInstanceMetadataOptions says how to fix it', () => {
    const err = ec2Error('UnauthorizedOperation', 403, 'You are not authorized to perform this operation.');
    expect(classifyAwsError(err, { operation: 'ModifyInstanceMetadataOptionsCommand' }).remedy).toBe(
      'add ec2:ModifyInstanceMetadataOptions to the IAM role or set IMDS_AUTO_CONFIGURE_HOP_LIMIT=false',
    );
    const fromMessage = ec2Error(
      'UnauthorizedOperation',
      403,
      'You are not authorized to perform this operation. User: arn:aws:sts::1:assumed-role/x is not authorized to perform: ec2:ModifyInstanceMetadataOptions on resource: arn:aws:ec2:eu-west-1:1:instance/i-1',
    );
    expect(classifyAwsError(fromMessage).remedy).toMatch(/IMDS_AUTO_CONFIGURE_HOP_LIMIT=false/);
  });

  test('generic UnauthorizedOperation names the missing action when known', () => {
    const msg = 'User: arn:aws:sts::1:assumed-role/x is not authorized to perform: ec2:CreateNetworkInterface on resource: *. Encoded authorization failure message: abc';
    const info = classifyAwsError(ec2Error('UnauthorizedOperation', 403, msg));
    expect(info.remedy).toMatch(/add ec2:CreateNetworkInterface to the IAM role/);
    expect(info.remedy).toMatch(/decode-authorization-message/);
    expect(classifyAwsError(ec2Error('UnauthorizedOperation', 403, 'You are not authorized to perform this operation.'), { operation: 'AttachNetworkInterface' }).remedy).toMatch(
      /ec2:AttachNetworkInterface/,
    );
    expect(classifyAwsError(ec2Error('UnauthorizedOperation', 403, 'You are not authorized to perform this operation.')).remedy).toMatch(/IAM role/);
  });

  test('InsufficientFreeAddressesInSubnet suggests a bigger subnet', () => {
    expect(classifyAwsError(ec2Error('InsufficientFreeAddressesInSubnet', 400)).remedy).toMatch(/bigger subnet/);
  });

  test('a device index conflict points at deviceIndex', () => {
    const err = ec2Error('InvalidParameterValue', 400, "Instance 'i-1' already has an interface attached at device index '1'.");
    expect(classifyAwsError(err).remedy).toMatch(/deviceIndex/);
    // Any other rejected value still gets advice: the issue asks for a remedy on every fail-fast error.
    expect(classifyAwsError(ec2Error('InvalidParameterValue', 400, 'Value (x) for parameter y is invalid')).remedy).toMatch(/check the NodeENI/);
  });

  test('ReferenceNotFoundError keeps its code and is not retryable', () => {
    const info = classifyAwsError(new ReferenceNotFoundError('SubnetNotFound', 'eniflow-zz', 'no subnet named eniflow-zz'));
    expect(info).toEqual({ code: 'SubnetNotFound', message: 'no subnet named eniflow-zz', retryable: false });
  });

  test('non-Error values still classify', () => {
    expect(classifyAwsError('boom')).toMatchObject({ code: 'Unknown', message: 'boom' });
    expect(classifyAwsError(undefined).code).toBe('Unknown');
  });

  // Issue 4, part 6: the retry layers must agree on what is transient.
  test.each([
    ['RequestLimitExceeded', 400],
    ['Throttling', 400],
    ['EC2ThrottledException', 400],
    ['PriorRequestNotComplete', 400],
    ['BandwidthLimitExceeded', 400],
    ['InternalError', 500],
    ['InternalFailure', 500],
    ['Unavailable', 503],
    ['RequestTimeout', 408],
    ['RequestTimeoutException', 408],
  ] as const)('%s (HTTP %d) is retryable, whatever its status says', (code, status) => {
    expect(classifyAwsError(ec2Error(code, status))).toMatchObject({ code, retryable: true });
  });

  test('HTTP 429 and 502/504 without a known code are retryable', () => {
    expect(classifyAwsError(ec2Error('SomethingNew', 429)).retryable).toBe(true);
    expect(classifyAwsError(ec2Error('SomethingNew', 502)).retryable).toBe(true);
    expect(classifyAwsError(ec2Error('SomethingNew', 504)).retryable).toBe(true);
  });

  test.each([
    ['EPIPE', 'write EPIPE'],
    ['EAI_AGAIN', 'getaddrinfo EAI_AGAIN ec2.eu-west-1.amazonaws.com'],
    ['UND_ERR_SOCKET', 'other side closed'],
  ])('transport error %s is retryable', (code, message) => {
    expect(classifyAwsError(nodeError(code, message))).toMatchObject({ code, retryable: true });
  });

  test('a quota that ends in LimitExceeded is not throttling', () => {
    expect(classifyAwsError(ec2Error('VcpuLimitExceeded', 400)).retryable).toBe(false);
    expect(classifyAwsError(ec2Error('RequestLimitExceeded', 400)).retryable).toBe(true);
  });

  test.each([
    ['InvalidSubnetID.NotFound', 400, "The subnet ID 'subnet-0bad' does not exist", /subnetID/],
    ['InvalidGroup.NotFound', 400, "The security group 'sg-0bad' does not exist", /securityGroup/],
    ['InvalidSecurityGroupID.NotFound', 400, "The security group 'sg-0bad' does not exist", /securityGroup/],
    ['UnauthorizedOperation', 403, 'You are not authorized to perform this operation.', /IAM role/],
    ['AttachmentLimitExceeded', 400, 'Interface count 4 exceeds the limit for t3.large', /instance type/],
    ['NetworkInterfaceLimitExceeded', 400, 'You have reached the limit', /quota/],
    ['InvalidInstanceID.NotFound', 400, "The instance ID 'i-0bad' does not exist", /providerID/],
    ['InvalidParameterValue', 400, 'Invalid value for Description', /NodeENI/],
    ['InvalidParameterCombination', 400, 'The subnet and security group are in different VPCs', /VPC/],
  ] as const)('%s fails fast with its code and a remedy', (code, status, message, remedy) => {
    const info = classifyAwsError(ec2Error(code, status, message));
    expect(info).toMatchObject({ code, message, retryable: false });
    expect(info.remedy).toMatch(remedy);
  });
});
