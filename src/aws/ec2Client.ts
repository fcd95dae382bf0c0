// The one place EC2 clients are built: endpoint override (moto / the dev proxy), retry budget and
// timeouts.
//
// Retries happen on two layers:
//  - the SDK's "standard" retry strategy, per EC2 call: up to `maxAttempts` (default 3) on
//    throttling (RequestLimitExceeded, ...), 5xx, timeouts and connection resets, with full-jitter
//    exponential backoff (random(0, base * 2^n), base 1 s for throttling and 50 ms otherwise,
//    capped at 20 s) and a client-wide retry quota that stops retry storms when everything fails;
//  - Temporal's activity retry policy on top (src/workflows/onboard.ts), for what outlasts that,
//    driven by src/aws/errors.ts: non-retryable failures stop at once with the AWS code and a remedy.
// Without timeouts a hung connection would only end at the activity's startToClose timeout; with
// them it fails as a retryable TimeoutError and the SDK tries again within the same attempt.
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';

export const EC2_DEFAULT_MAX_ATTEMPTS = 3;
export const EC2_CONNECTION_TIMEOUT_MS = 3_000;
/** Whole request and answer; DescribeNetworkInterfaces on a big account takes a few seconds at most. */
export const EC2_REQUEST_TIMEOUT_MS = 8_000;

export interface Ec2ClientSettings {
  region: string;
  /** e.g. http://127.0.0.1:5000 for moto or the dev proxy; the real regional endpoint when absent. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK-level attempts per call. Temporal retries activities too, so callers usually keep this small. */
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export function createEc2Client(settings: Ec2ClientSettings): EC2Client {
  const config: EC2ClientConfig = {
    region: settings.region,
    retryMode: 'standard',
    maxAttempts: settings.maxAttempts ?? EC2_DEFAULT_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: settings.connectionTimeoutMs ?? EC2_CONNECTION_TIMEOUT_MS,
      requestTimeout: settings.requestTimeoutMs ?? EC2_REQUEST_TIMEOUT_MS,
      // Without this the SDK only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
    },
  };
  if (settings.endpoint) config.endpoint = settings.endpoint;
  if (settings.credentials) config.credentials = settings.credentials;
  return new EC2Client(config);
}
