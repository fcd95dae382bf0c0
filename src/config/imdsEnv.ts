// IMDS settings from the environment, exactly the variables the seed documents, parsed once.
// The result is plain data because it travels into Temporal activity inputs.
import { z } from 'zod';

export const IMDS_IPV4_ENDPOINT = 'http://169.254.169.254';
export const IMDS_IPV6_ENDPOINT = 'http://[fd00:ec2::254]';

/**
 * SDK defaults, used when a variable is unset. The seed's deployment sets TIMEOUT=10 and
 * NUM_ATTEMPTS=3 explicitly; unset, eniflow behaves like the AWS SDKs/CLI that define these two
 * variables (botocore: metadata_service_timeout=1 s, metadata_service_num_attempts=1). The JS SDK
 * reads neither variable, so eniflow's IMDS client applies them itself.
 */
export const DEFAULT_IMDS_TIMEOUT_SECONDS = 1;
export const DEFAULT_IMDS_NUM_ATTEMPTS = 1;
/** The seed's defaults; the original controller wrongly defaulted auto-configuration to off. */
export const DEFAULT_AUTO_CONFIGURE_HOP_LIMIT = true;
export const DEFAULT_HOP_LIMIT = 2;

export type ImdsEndpointMode = 'IPv4' | 'IPv6';

export interface ImdsConfig {
  /** AWS_EC2_METADATA_DISABLED: never contact IMDS. */
  disabled: boolean;
  /** AWS_EC2_METADATA_V1_DISABLED: never fall back to token-less IMDSv1 reads. */
  v1Disabled: boolean;
  endpointMode: ImdsEndpointMode;
  /** Base URL without a trailing slash: AWS_EC2_METADATA_SERVICE_ENDPOINT, else the mode's address. */
  endpoint: string;
  /** AWS_METADATA_SERVICE_TIMEOUT in milliseconds, per HTTP request. */
  timeoutMs: number;
  /** AWS_METADATA_SERVICE_NUM_ATTEMPTS: tries per request for retryable failures. */
  numAttempts: number;
  autoConfigureHopLimit: boolean;
  hopLimit: number;
  instanceId?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly accepted: string,
  ) {
    super(`${variable}=${JSON.stringify(value)} is not valid: expected ${accepted}`);
    this.name = 'ConfigError';
  }
}

const booleanText = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false']))
  .transform((v) => v === 'true');

const endpointModeText = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['ipv4', 'ipv6']))
  .transform((v): ImdsEndpointMode => (v === 'ipv6' ? 'IPv6' : 'IPv4'));

const endpointText = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/ }))
  .transform((v) => v.replace(/\/+$/, ''));

// Fractions are allowed (botocore accepts them too); they make fast tests possible.
const secondsText = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?$|^\.\d+$/)
  .transform(Number)
  .pipe(z.number().positive().max(3600));

const integerText = (min: number, max: number) => z.string().trim().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max));

const instanceIdText = z.string().trim().regex(/^i-[0-9a-f]{8,17}$/);

interface VariableSpec<T> {
  schema: z.ZodType<T, string>;
  accepted: string;
}

const VARIABLES = {
  AWS_EC2_METADATA_DISABLED: { schema: booleanText, accepted: 'true or false' },
  AWS_EC2_METADATA_V1_DISABLED: { schema: booleanText, accepted: 'true or false' },
  AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: { schema: endpointModeText, accepted: 'IPv4 or IPv6 (case-insensitive)' },
  AWS_EC2_METADATA_SERVICE_ENDPOINT: { schema: endpointText, accepted: 'an http:// or https:// URL, e.g. http://169.254.169.254' },
  AWS_METADATA_SERVICE_TIMEOUT: { schema: secondsText, accepted: 'a number of seconds greater than 0 and at most 3600' },
  AWS_METADATA_SERVICE_NUM_ATTEMPTS: { schema: integerText(1, 10), accepted: 'an integer from 1 to 10' },
  IMDS_AUTO_CONFIGURE_HOP_LIMIT: { schema: booleanText, accepted: 'true or false' },
  IMDS_HOP_LIMIT: { schema: integerText(1, 64), accepted: 'an integer from 1 to 64' },
  EC2_INSTANCE_ID: { schema: instanceIdText, accepted: 'an EC2 instance ID like i-0123456789abcdef0' },
} satisfies Record<string, VariableSpec<unknown>>;

export type ImdsVariable = keyof typeof VARIABLES;
export const IMDS_VARIABLES = Object.keys(VARIABLES) as ImdsVariable[];

/** Empty counts as unset, as the SDKs treat it. */
function read<K extends ImdsVariable>(env: NodeJS.ProcessEnv, name: K): z.output<(typeof VARIABLES)[K]['schema']> | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const spec: VariableSpec<unknown> = VARIABLES[name];
  const result = spec.schema.safeParse(raw);
  if (!result.success) throw new ConfigError(name, raw, spec.accepted);
  // The schema at VARIABLES[name] produced it; TypeScript cannot follow the indexed access.
  return result.data as z.output<(typeof VARIABLES)[K]['schema']>;
}

/** Reads and validates every IMDS variable; throws ConfigError naming the first bad one. */
export function loadImdsConfig(env: NodeJS.ProcessEnv = process.env): ImdsConfig {
  const endpointMode = read(env, 'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE') ?? 'IPv4';
  const instanceId = read(env, 'EC2_INSTANCE_ID');
  return {
    disabled: read(env, 'AWS_EC2_METADATA_DISABLED') ?? false,
    v1Disabled: read(env, 'AWS_EC2_METADATA_V1_DISABLED') ?? false,
    endpointMode,
    // The explicit endpoint wins over the mode, as in every AWS SDK.
    endpoint: read(env, 'AWS_EC2_METADATA_SERVICE_ENDPOINT') ?? (endpointMode === 'IPv6' ? IMDS_IPV6_ENDPOINT : IMDS_IPV4_ENDPOINT),
    timeoutMs: Math.round((read(env, 'AWS_METADATA_SERVICE_TIMEOUT') ?? DEFAULT_IMDS_TIMEOUT_SECONDS) * 1000),
    numAttempts: read(env, 'AWS_METADATA_SERVICE_NUM_ATTEMPTS') ?? DEFAULT_IMDS_NUM_ATTEMPTS,
    autoConfigureHopLimit: read(env, 'IMDS_AUTO_CONFIGURE_HOP_LIMIT') ?? DEFAULT_AUTO_CONFIGURE_HOP_LIMIT,
    hopLimit: read(env, 'IMDS_HOP_LIMIT') ?? DEFAULT_HOP_LIMIT,
    ...(instanceId !== undefined ? { instanceId } : {}),
  };
}
