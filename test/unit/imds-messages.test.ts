import {
  hopLimitConfigFailedWarning,
  imdsDisabledError,
  imdsForbiddenError,
  imdsTimeoutError,
  instanceIdUnknownWarning,
  isImdsError,
} from '../../src/aws/imdsMessages';

describe("the seed's troubleshooting messages", () => {
  it('case 1: a timeout names the seed symptom and the hop-limit fix', () => {
    const err = imdsTimeoutError({ endpoint: 'http://169.254.169.254', path: '/latest/api/token', timeoutMs: 10_000, attempts: 3, tokenRequest: true });
    expect(err.code).toBe('ImdsTimeout');
    expect(isImdsError(err, 'ImdsTimeout')).toBe(true);
    expect(err.message).toContain('operation error ec2imds: GetMetadata, request canceled, context deadline exceeded');
    expect(err.message).toContain('hop limit');
    expect(err.message).toContain('IMDS_HOP_LIMIT=2');
    expect(err.message).toContain('IMDS_AUTO_CONFIGURE_HOP_LIMIT=true');
    expect(err.message).toContain('10000 ms (3 attempts');
  });

  it('case 2: a 403 names IMDSv1 being disabled and the missing token', () => {
    const err = imdsForbiddenError({ endpoint: 'http://169.254.169.254', path: '/latest/meta-data/instance-id', statusCode: 403, reason: 'token refused' });
    expect(err.code).toBe('ImdsForbidden');
    expect(err.statusCode).toBe(403);
    expect(err.message).toContain('operation error ec2imds: GetMetadata, https response error StatusCode: 403');
    expect(err.message).toContain('IMDSv1 is disabled');
    expect(err.message).toContain('IMDSv2');
  });

  it('case 3: a ModifyInstanceMetadataOptions 403 is a plain-string warning with the IAM permission and the opt-out', () => {
    const warning = hopLimitConfigFailedWarning({
      operation: 'ModifyInstanceMetadataOptions',
      cause: 'operation error EC2: ModifyInstanceMetadataOptions, https response error StatusCode: 403, UnauthorizedOperation',
      statusCode: 403,
      instanceId: 'i-0123456789abcdef0',
      hopLimit: 2,
    });
    expect(typeof warning).toBe('string');
    expect(warning).toContain(
      'Failed to configure IMDS hop limit, continuing with default configuration: failed to modify IMDS hop limit: operation error EC2: ModifyInstanceMetadataOptions, https response error StatusCode: 403',
    );
    expect(warning).toContain('ec2:ModifyInstanceMetadataOptions');
    expect(warning).toContain('node IAM role');
    expect(warning).toContain('IMDS_AUTO_CONFIGURE_HOP_LIMIT=false');
    expect(warning).toContain('--instance-id i-0123456789abcdef0 --http-put-response-hop-limit 2');
  });

  it('case 3 recognises a 403 from the error text alone, and gives a neutral remedy otherwise', () => {
    expect(
      hopLimitConfigFailedWarning({ operation: 'DescribeInstances', cause: 'operation error EC2: DescribeInstances, https response error StatusCode: 403' }),
    ).toContain('ec2:DescribeInstances permission');
    const other = hopLimitConfigFailedWarning({ operation: 'ModifyInstanceMetadataOptions', cause: 'RequestLimitExceeded', statusCode: 503 });
    expect(other).not.toContain('lacks');
    expect(other).toContain('IMDS_AUTO_CONFIGURE_HOP_LIMIT=false');
  });

  it('case 4: an unknown instance ID is a plain-string warning that says to set EC2_INSTANCE_ID', () => {
    const warning = instanceIdUnknownWarning({ reason: 'IMDS is disabled and the node has no providerID' });
    expect(warning).toContain(
      'Could not determine current instance ID, skipping IMDS hop limit configuration: unable to determine current instance ID',
    );
    expect(warning).toContain('IMDS is disabled and the node has no providerID');
    expect(warning).toContain('EC2_INSTANCE_ID');
    expect(instanceIdUnknownWarning()).toContain('access IMDS');
  });

  it('IMDS disabled says no request was made and how to proceed', () => {
    const err = imdsDisabledError();
    expect(err.code).toBe('ImdsDisabled');
    expect(err.message).toContain('AWS_EC2_METADATA_DISABLED=true');
    expect(err.message).toContain('EC2_INSTANCE_ID');
  });
});
