// Turns whatever an EC2 call threw into a decision: retry it, or stop and tell the user what to fix.
// Activities use `retryable` to throw non-retryable Temporal failures instead of burning retries on
// errors that only a person can fix (a wrong subnet ID, a missing IAM permission).

export interface AwsErrorInfo {
  code: string;
  message: string;
  retryable: boolean;
  /** User-facing advice; present when we know what to do about it. */
  remedy?: string;
}

/** Context a caller can add: the EC2 action that failed ("ModifyInstanceMetadataOptions" or the command name). */
export interface AwsErrorContext {
  operation?: string;
}

/** A name or ID in a NodeENI that does not resolve (unknown, ambiguous, in another VPC). Never retryable. */
export class ReferenceNotFoundError extends Error {
  readonly code: string;
  readonly reference: string;
  constructor(code: string, reference: string, message: string) {
    super(message);
    this.name = 'ReferenceNotFoundError';
    this.code = code;
    this.reference = reference;
  }
}

const RETRYABLE_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
  // The SDK's own throttling list (it retries these too); kept in step so both layers agree.
  'BandwidthLimitExceeded',
  'ThrottledException',
  'TransactionInProgressException',
  'ProvisionedThroughputExceededException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'Unavailable',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'RequestExpired',
  'ExpiredToken',
  'IncorrectState',
  'IncorrectInstanceState',
  'InvalidNetworkInterface.InUse', // usually a detach still in progress
  'DependencyViolation',
  'ConcurrentTagAccess',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

const NON_RETRYABLE_CODES = new Set([
  'UnauthorizedOperation',
  'AuthFailure',
  'Blocked',
  'OptInRequired',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'MissingParameter',
  'UnknownParameter',
  'ValidationError',
  'InvalidAction',
  'AttachmentLimitExceeded',
  'NetworkInterfaceLimitExceeded',
  'InsufficientFreeAddressesInSubnet',
  'IdempotentParameterMismatch',
  'InvalidInstanceID',
  'InvalidSecurityGroupID.NotFound',
]);

const TRANSPORT_MESSAGES = /socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|network error|timed? ?out|connection (?:reset|closed|refused)|other side closed/i;

export function classifyAwsError(err: unknown, context: AwsErrorContext = {}): AwsErrorInfo {
  const code = errorCode(err);
  const message = errorMessage(err);
  const status = httpStatus(err);
  const retryable = isRetryable(err, code, message, status);
  const remedy = remedyFor(code, message, context.operation);
  return remedy ? { code, message, retryable, remedy } : { code, message, retryable };
}

function isRetryable(err: unknown, code: string, message: string, status: number | undefined): boolean {
  if (err instanceof ReferenceNotFoundError) return false;
  if (RETRYABLE_CODES.has(code)) return true;
  if (NON_RETRYABLE_CODES.has(code)) return false;
  if (/^AccessDenied/.test(code) || /^Unauthorized/.test(code)) return false;
  if (/\.(NotFound|Malformed)$/.test(code)) return false;
  if (/^Invalid/.test(code)) return false;
  if (/LimitExceeded$/.test(code)) return false; // quotas; RequestLimitExceeded is handled above
  if (status !== undefined) {
    if (status >= 500 || status === 429) return true;
    if (status >= 400) return false;
  }
  if (TRANSPORT_MESSAGES.test(message)) return true;
  const fault = field(err, '$fault');
  if (fault === 'client') return false;
  // Unknown errors without an HTTP answer are most often transport trouble; the activity's retry
  // policy bounds how long we keep trying.
  return true;
}

function remedyFor(code: string, message: string, operation: string | undefined): string | undefined {
  const op = operation?.replace(/Command$/, '');
  switch (code) {
    case 'UnauthorizedOperation':
    case 'AccessDenied':
    case 'AccessDeniedException': {
      const action = message.match(/perform:\s*(ec2:[A-Za-z]+)/)?.[1] ?? (op ? `ec2:${op}` : undefined);
      if (action === 'ec2:ModifyInstanceMetadataOptions') {
        return 'add ec2:ModifyInstanceMetadataOptions to the IAM role or set IMDS_AUTO_CONFIGURE_HOP_LIMIT=false';
      }
      const decode = /Encoded authorization failure message/i.test(message)
        ? ' (`aws sts decode-authorization-message` shows the details)'
        : '';
      return action
        ? `add ${action} to the IAM role eniflow's central worker runs as${decode}`
        : `grant eniflow's central worker IAM role the EC2 permission this call needs${decode}`;
    }
    case 'AuthFailure':
      return 'the AWS credentials were rejected: check the central worker\'s credentials (IRSA role, keys) and the region';
    case 'InsufficientFreeAddressesInSubnet':
      return 'the subnet has no free IP addresses left: pick a bigger subnet for the NodeENI (or free addresses in it)';
    case 'InvalidSubnetID.NotFound':
    case 'InvalidSubnetID.Malformed':
      return "check subnetID/subnetIDs in the NodeENI: the subnet must exist in the node's region and VPC";
    case 'InvalidGroup.NotFound':
    case 'InvalidGroupId.Malformed':
    case 'InvalidSecurityGroupID.NotFound':
      return "check securityGroupIDs/securityGroupNames in the NodeENI: each group must exist in the node's VPC";
    case 'AttachmentLimitExceeded':
      return "the instance type allows no more ENIs: use fewer subnets in the NodeENIs selecting this node, or a larger instance type";
    case 'NetworkInterfaceLimitExceeded':
      return 'the account reached its ENI quota in this region: delete unused ENIs or request a higher quota';
    case 'InvalidInstanceID.NotFound':
    case 'InvalidInstanceID.Malformed':
      return "the node's instance ID is wrong or the instance is gone: check the node's providerID / EC2_INSTANCE_ID";
    case 'InvalidParameterValue':
      if (/device index/i.test(message)) return 'that device index is already used on the instance: set another deviceIndex in the NodeENI';
      return "EC2 rejected a value eniflow sent (the message names it): check the NodeENI's subnets, security groups, deviceIndex and description";
    case 'InvalidParameterCombination':
      return "EC2 rejected this combination of values (the message names them): check the NodeENI's subnets and security groups belong to the node's VPC";
    case 'IdempotentParameterMismatch':
      return 'an earlier request with the same ClientToken used other parameters: the NodeENI changed mid-flight; offboard and onboard the node again';
    default:
      return undefined;
  }
}

function field(err: unknown, key: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[key] : undefined;
}

function errorCode(err: unknown): string {
  // SDK v3 service errors carry the EC2 code in `name` (and `Code`); Node errors in `code`.
  const sdkCode = field(err, 'Code');
  if (typeof sdkCode === 'string' && sdkCode) return sdkCode;
  const nodeCode = field(err, 'code');
  if (typeof nodeCode === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(nodeCode)) return nodeCode;
  const cause = field(err, 'cause');
  const causeCode = field(cause, 'code');
  if (typeof causeCode === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(causeCode)) return causeCode;
  if (err instanceof ReferenceNotFoundError) return err.code;
  const name = field(err, 'name');
  if (typeof name === 'string' && name && name !== 'Error') return name;
  if (typeof nodeCode === 'string' && nodeCode) return nodeCode;
  const status = httpStatus(err);
  return status !== undefined ? `HTTP${status}` : 'Unknown';
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  const message = field(err, 'message');
  return typeof message === 'string' ? message : String(err);
}

function httpStatus(err: unknown): number | undefined {
  const metadata = field(err, '$metadata');
  const status = field(metadata, 'httpStatusCode');
  if (typeof status === 'number') return status;
  const responseStatus = field(field(err, '$response'), 'statusCode');
  return typeof responseStatus === 'number' ? responseStatus : undefined;
}
