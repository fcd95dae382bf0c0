// The seed's four troubleshooting cases, each naming its cause and its fix in the seed's words.
// Cases 1 and 2 (and "disabled"/"unreachable") are errors the IMDS client throws; cases 3 and 4 are
// warnings: onboarding continues and the plain string is stored on the node's status.

export type ImdsErrorCode = 'ImdsTimeout' | 'ImdsForbidden' | 'ImdsDisabled' | 'ImdsUnreachable' | 'ImdsHttpError';

export class ImdsError extends Error {
  constructor(
    readonly code: ImdsErrorCode,
    message: string,
    readonly details: { endpoint?: string; path?: string; statusCode?: number; cause?: string } = {},
  ) {
    super(message);
    this.name = 'ImdsError';
  }

  get statusCode(): number | undefined {
    return this.details.statusCode;
  }
}

export function isImdsError(err: unknown, code?: ImdsErrorCode): err is ImdsError {
  return err instanceof ImdsError && (code === undefined || err.code === code);
}

const HOP_LIMIT_FIX =
  'This often indicates a hop limit issue: the instance\'s HttpPutResponseHopLimit is 1, so the IMDSv2 token response ' +
  'is dropped before it reaches a container one hop away. Fix: keep IMDS_AUTO_CONFIGURE_HOP_LIMIT=true (the default) ' +
  'with IMDS_HOP_LIMIT=2, or run `aws ec2 modify-instance-metadata-options --instance-id <id> --http-put-response-hop-limit 2`.';

/** Case 1: "request canceled, context deadline exceeded" — the hop-limit symptom. */
export function imdsTimeoutError(opts: {
  endpoint: string;
  path: string;
  timeoutMs: number;
  attempts: number;
  /** True when the IMDSv2 token request timed out and IMDSv1 fallback was not allowed. */
  tokenRequest: boolean;
}): ImdsError {
  const what = opts.tokenRequest ? 'the IMDSv2 token request (PUT /latest/api/token)' : `GET ${opts.path}`;
  const v1 = opts.tokenRequest ? ' IMDSv1 fallback is disabled (AWS_EC2_METADATA_V1_DISABLED=true), so nothing else could answer.' : '';
  return new ImdsError(
    'ImdsTimeout',
    `operation error ec2imds: GetMetadata, request canceled, context deadline exceeded: ${what} to ${opts.endpoint} ` +
      `got no answer within ${opts.timeoutMs} ms (${opts.attempts} attempt${opts.attempts === 1 ? '' : 's'}, ` +
      `AWS_METADATA_SERVICE_TIMEOUT / AWS_METADATA_SERVICE_NUM_ATTEMPTS).${v1} ${HOP_LIMIT_FIX}`,
    { endpoint: opts.endpoint, path: opts.path },
  );
}

/** Case 2: IMDS answered 401/403 — IMDSv1 is disabled (HttpTokens=required) but no IMDSv2 token could be used. */
export function imdsForbiddenError(opts: {
  endpoint: string;
  path: string;
  statusCode: number;
  /** Why no token was used: the token request's own failure, or "IMDSv1 fallback". */
  reason: string;
}): ImdsError {
  return new ImdsError(
    'ImdsForbidden',
    `operation error ec2imds: GetMetadata, https response error StatusCode: ${opts.statusCode} (${opts.path} at ${opts.endpoint}; ${opts.reason}). ` +
      'This typically occurs when IMDSv1 is disabled (HttpTokens=required, as on Amazon Linux 2023) but no IMDSv2 session ' +
      'token was available. Fix: make sure the token request PUT /latest/api/token can reach IMDS (raise the hop limit to ' +
      'IMDS_HOP_LIMIT=2 for containers, keep IMDS_AUTO_CONFIGURE_HOP_LIMIT=true), and check that the instance\'s IMDS endpoint ' +
      'is enabled (HttpEndpoint=enabled).',
    { endpoint: opts.endpoint, path: opts.path, statusCode: opts.statusCode, cause: opts.reason },
  );
}

export function imdsDisabledError(): ImdsError {
  return new ImdsError(
    'ImdsDisabled',
    'IMDS is disabled by AWS_EC2_METADATA_DISABLED=true; no request was made. Set EC2_INSTANCE_ID so eniflow can ' +
      'skip IMDS for the instance ID (the node\'s providerID is used otherwise), or unset AWS_EC2_METADATA_DISABLED.',
  );
}

export function imdsUnreachableError(opts: { endpoint: string; path: string; attempts: number; cause: string }): ImdsError {
  return new ImdsError(
    'ImdsUnreachable',
    `cannot reach IMDS at ${opts.endpoint} for ${opts.path} after ${opts.attempts} attempt${opts.attempts === 1 ? '' : 's'}: ${opts.cause}. ` +
      'Check AWS_EC2_METADATA_SERVICE_ENDPOINT / AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE (IPv6 needs HttpProtocolIpv6=enabled ' +
      'on the instance) and that this process runs on an EC2 instance with its metadata endpoint enabled.',
    { endpoint: opts.endpoint, path: opts.path, cause: opts.cause },
  );
}

export function imdsHttpError(opts: { endpoint: string; path: string; statusCode: number; imdsVersion: 'v1' | 'v2' }): ImdsError {
  return new ImdsError(
    'ImdsHttpError',
    `operation error ec2imds: GetMetadata, https response error StatusCode: ${opts.statusCode} for ${opts.path} at ${opts.endpoint} (IMDS${opts.imdsVersion})`,
    { endpoint: opts.endpoint, path: opts.path, statusCode: opts.statusCode },
  );
}

/**
 * Case 3: DescribeInstances/ModifyInstanceMetadataOptions failed. `cause` is the EC2 error's own text,
 * e.g. "operation error EC2: ModifyInstanceMetadataOptions, https response error StatusCode: 403, UnauthorizedOperation".
 */
export function hopLimitConfigFailedWarning(opts: {
  operation: 'DescribeInstances' | 'ModifyInstanceMetadataOptions';
  cause: string;
  statusCode?: number;
  instanceId?: string;
  hopLimit?: number;
}): string {
  const forbidden = opts.statusCode === 403 || /UnauthorizedOperation|AccessDenied|StatusCode: 403/.test(opts.cause);
  const step = opts.operation === 'ModifyInstanceMetadataOptions' ? 'failed to modify IMDS hop limit' : 'failed to describe IMDS options';
  const manual =
    `aws ec2 modify-instance-metadata-options --instance-id ${opts.instanceId ?? '<instance-id>'} ` +
    `--http-put-response-hop-limit ${opts.hopLimit ?? 2}`;
  const fix = forbidden
    ? `Solution: the node lacks the ec2:${opts.operation} permission. Add this permission to the node IAM role ` +
      `(ec2:DescribeInstances and ec2:ModifyInstanceMetadataOptions), or disable auto-configuration with ` +
      `IMDS_AUTO_CONFIGURE_HOP_LIMIT=false and set the hop limit by hand: ${manual}.`
    : `Solution: check the EC2 API error above; to skip this step set IMDS_AUTO_CONFIGURE_HOP_LIMIT=false and set the hop limit by hand: ${manual}.`;
  return `Failed to configure IMDS hop limit, continuing with default configuration: ${step}: ${opts.cause}. ${fix}`;
}

/** Case 4: neither EC2_INSTANCE_ID, nor IMDS, nor the node's providerID gave the instance ID. */
export function instanceIdUnknownWarning(opts: { reason?: string } = {}): string {
  const why = opts.reason ? ` (${opts.reason})` : '';
  return (
    `Could not determine current instance ID, skipping IMDS hop limit configuration: unable to determine current instance ID${why}. ` +
    'Solution: set the EC2_INSTANCE_ID environment variable manually, or ensure the eniflow node agent can access IMDS ' +
    'to retrieve the instance ID.'
  );
}
