// eniflow's IMDS client: IMDSv2 first with a reused session token, IMDSv1 only where the seed allows it,
// and every answer says which version served it.
//
// HTTP goes through @aws-sdk/ec2-metadata-service's MetadataService, used as a single-request transport
// (disableFetchToken, retries 0). Reading its source (3.1164.0) showed what it does not do, so this module
// does it: it fetches a new token for EVERY request (no reuse), never reports the version, ignores
// AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE and AWS_EC2_METADATA_DISABLED, defaults to no timeout and 3 retries
// (it reads neither AWS_METADATA_SERVICE_TIMEOUT nor AWS_METADATA_SERVICE_NUM_ATTEMPTS), does not refresh on
// 401, drops the token request's status code, and leaves the socket of a non-200 answer open. It also
// joins the endpoint's pathname ("/") with the request path, so paths are passed without their leading slash.
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import type { ImdsConfig } from '../config/imdsEnv';
import type { ImdsInterface, ImdsVersion, InstanceIdentity } from '../domain/types';
import {
  ImdsError,
  imdsDisabledError,
  imdsForbiddenError,
  imdsHttpError,
  imdsTimeoutError,
  imdsUnreachableError,
} from './imdsMessages';

export interface ImdsAnswer<T> {
  value: T;
  imdsVersion: ImdsVersion;
}

export interface ImdsClient {
  /** Reads one metadata path, e.g. '/latest/meta-data/instance-id'. */
  get(path: string): Promise<ImdsAnswer<string>>;
  /** Instance ID, region, AZ and the MACs of the attached interfaces; source = the version that served them. */
  identity(): Promise<ImdsAnswer<InstanceIdentity>>;
}

export interface ImdsClientOptions {
  /** Requested token TTL in seconds (IMDS allows 1–21600). */
  tokenTtlSeconds?: number;
  /** After a fallback to IMDSv1, how long to stay on v1 before trying v2 again (a hop limit may get fixed). */
  v1FallbackMs?: number;
  /** Where fallback and retry decisions are reported. */
  log?: (message: string) => void;
  /** Clock, so tests can move past the token's expiry. */
  now?: () => number;
}

const TOKEN_PATH = '/latest/api/token';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const DEFAULT_TOKEN_TTL_SECONDS = 21600;
const DEFAULT_V1_FALLBACK_MS = 5 * 60_000;
/** The token fallbacks the seed (and the Go SDK) allow: refused, unknown path, method not allowed. */
const FALLBACK_STATUSES = new Set([403, 404, 405]);

/** One HTTP exchange's result, classified. */
type Outcome =
  | { kind: 'ok'; body: string }
  | { kind: 'status'; status: number }
  | { kind: 'timeout'; detail: string }
  | { kind: 'network'; detail: string };

type TokenResult = { token: string } | { fallback: string; timedOut: boolean };

function retryable(outcome: Outcome): boolean {
  return outcome.kind === 'timeout' || outcome.kind === 'network' || (outcome.kind === 'status' && (outcome.status >= 500 || outcome.status === 429));
}

function describe(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'ok':
      return 'ok';
    case 'status':
      return `StatusCode: ${outcome.status}`;
    case 'timeout':
    case 'network':
      return outcome.detail;
  }
}

function classify(err: unknown): Outcome {
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (typeof status === 'number') return { kind: 'status', status };
  const detail = err instanceof Error ? err.message : String(err);
  // The library wraps the handler's TimeoutError into a plain Error; only the text still says so.
  if (/TimeoutError|ETIMEDOUT|timed out|exceeded the configured/i.test(detail)) return { kind: 'timeout', detail };
  return { kind: 'network', detail };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createImdsClient(config: ImdsConfig, options: ImdsClientOptions = {}): ImdsClient {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const ttlSeconds = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  const v1FallbackMs = options.v1FallbackMs ?? DEFAULT_V1_FALLBACK_MS;
  // Renew a little before expiry so a token never dies in flight: 10% of the TTL, at most a minute.
  const renewMarginMs = Math.min(60_000, ttlSeconds * 100);
  const endpoint = config.endpoint.replace(/\/+$/, '');

  const transport = new MetadataService({
    endpoint: `${endpoint}/`,
    httpOptions: { timeout: config.timeoutMs },
    disableFetchToken: true, // tokens are managed here, so they can be reused
    ec2MetadataV1Disabled: false, // enforced here, where the fallback decision is made
    retries: 0, // AWS_METADATA_SERVICE_NUM_ATTEMPTS is applied here
  });

  let token: { value: string; expiresAt: number } | undefined;
  let tokenInFlight: Promise<TokenResult> | undefined;
  let v1Until = 0;

  async function once(method: 'GET' | 'PUT', path: string, headers: Record<string, string>): Promise<Outcome> {
    try {
      // Connection: close, because the library never drains a non-200 response: on a keep-alive
      // connection that socket would stay open (and keep a CLI from exiting) until IMDS closes it.
      return { kind: 'ok', body: await transport.request(path.slice(1), { method, headers: { ...headers, connection: 'close' } }) };
    } catch (err) {
      return classify(err);
    }
  }

  /** Up to numAttempts tries while the failure is retryable and `keepTrying` agrees. */
  async function attempt(
    method: 'GET' | 'PUT',
    path: string,
    headers: () => Record<string, string>,
    keepTrying: (o: Outcome) => boolean = () => true,
  ): Promise<{ outcome: Outcome; attempts: number }> {
    let outcome: Outcome = { kind: 'network', detail: 'no attempt made' };
    for (let n = 1; n <= config.numAttempts; n++) {
      outcome = await once(method, path, headers());
      if (!retryable(outcome) || !keepTrying(outcome) || n === config.numAttempts) return { outcome, attempts: n };
      log(`IMDS ${method} ${path} failed (${describe(outcome)}), attempt ${n} of ${config.numAttempts}; retrying`);
      await sleep(Math.min(1000, 100 * 2 ** (n - 1)));
    }
    return { outcome, attempts: config.numAttempts };
  }

  async function fetchToken(): Promise<TokenResult> {
    // A token timeout is the hop-limit symptom; with v1 allowed, fall back at once instead of
    // multiplying the delay by the attempts (botocore and the Go SDK do the same).
    const { outcome, attempts } = await attempt('PUT', TOKEN_PATH, () => ({ [TOKEN_TTL_HEADER]: String(ttlSeconds) }), (o) => o.kind !== 'timeout' || config.v1Disabled);
    const common = { endpoint, path: TOKEN_PATH };
    switch (outcome.kind) {
      case 'ok': {
        const value = outcome.body.trim();
        if (!value) throw imdsHttpError({ ...common, statusCode: 200, imdsVersion: 'v2' });
        token = { value, expiresAt: now() + ttlSeconds * 1000 };
        return { token: value };
      }
      case 'timeout':
        if (config.v1Disabled) throw imdsTimeoutError({ ...common, timeoutMs: config.timeoutMs, attempts, tokenRequest: true });
        return { fallback: `the IMDSv2 token request timed out after ${config.timeoutMs} ms`, timedOut: true };
      case 'status':
        if (!FALLBACK_STATUSES.has(outcome.status)) throw imdsHttpError({ ...common, statusCode: outcome.status, imdsVersion: 'v2' });
        if (config.v1Disabled) {
          throw imdsForbiddenError({
            ...common,
            statusCode: outcome.status,
            reason: `the IMDSv2 token request was answered ${outcome.status} and IMDSv1 fallback is disabled by AWS_EC2_METADATA_V1_DISABLED=true`,
          });
        }
        return { fallback: `the IMDSv2 token request was answered ${outcome.status}`, timedOut: false };
      case 'network':
        throw imdsUnreachableError({ ...common, attempts, cause: outcome.detail });
    }
  }

  /** The cached token while it has time left; otherwise one shared request for a new one. */
  function currentToken(): Promise<TokenResult> {
    if (token && now() < token.expiresAt - renewMarginMs) return Promise.resolve({ token: token.value });
    token = undefined;
    tokenInFlight ??= fetchToken().finally(() => {
      tokenInFlight = undefined;
    });
    return tokenInFlight;
  }

  /** Maps a failed read to the error that names its cause. */
  function readError(path: string, outcome: Exclude<Outcome, { kind: 'ok' }>, attempts: number, version: ImdsVersion, why: string): ImdsError {
    const common = { endpoint, path };
    switch (outcome.kind) {
      case 'timeout':
        return imdsTimeoutError({ ...common, timeoutMs: config.timeoutMs, attempts, tokenRequest: false });
      case 'network':
        return imdsUnreachableError({ ...common, attempts, cause: outcome.detail });
      case 'status':
        if (outcome.status === 401 || outcome.status === 403) return imdsForbiddenError({ ...common, statusCode: outcome.status, reason: why });
        return imdsHttpError({ ...common, statusCode: outcome.status, imdsVersion: version });
    }
  }

  async function readV2(path: string, value: string): Promise<Outcome & { attempts: number }> {
    const { outcome, attempts } = await attempt('GET', path, () => ({ [TOKEN_HEADER]: value }));
    return { ...outcome, attempts };
  }

  async function readV1(path: string, why: string, tokenTimedOut: boolean): Promise<ImdsAnswer<string>> {
    const { outcome, attempts } = await attempt('GET', path, () => ({}));
    if (outcome.kind === 'ok') return { value: outcome.body, imdsVersion: 'v1' };
    if (outcome.kind === 'status' && outcome.status === 401) v1Until = 0; // v1 is off on this instance; no point staying on it
    if (outcome.kind === 'status' && outcome.status === 401 && tokenTimedOut) {
      // HttpTokens=required and the token response never arrived: the hop limit, not v1, is the cause.
      throw imdsTimeoutError({ endpoint, path: TOKEN_PATH, timeoutMs: config.timeoutMs, attempts: 1, tokenRequest: true });
    }
    throw readError(path, outcome, attempts, 'v1', `${why}; the IMDSv1 read was refused, so IMDSv2 is required (HttpTokens=required)`);
  }

  async function viaToken(path: string): Promise<ImdsAnswer<string>> {
    for (let refreshed = false; ; refreshed = true) {
      const result = await currentToken();
      if ('fallback' in result) {
        v1Until = now() + v1FallbackMs;
        log(`IMDS: ${result.fallback}; falling back to IMDSv1 for ${Math.round(v1FallbackMs / 1000)} s`);
        return readV1(path, result.fallback, result.timedOut);
      }
      const outcome = await readV2(path, result.token);
      if (outcome.kind === 'ok') return { value: outcome.body, imdsVersion: 'v2' };
      if (outcome.kind === 'status' && outcome.status === 401 && !refreshed) {
        // The token expired or IMDS restarted: get a fresh one, once.
        log(`IMDS: ${path} answered 401 with a token; refreshing the token`);
        if (token?.value === result.token) token = undefined;
        continue;
      }
      throw readError(path, outcome, outcome.attempts, 'v2', 'IMDS refused a freshly issued IMDSv2 token');
    }
  }

  async function get(path: string): Promise<ImdsAnswer<string>> {
    if (config.disabled) throw imdsDisabledError();
    const normalized = path.startsWith('/') ? path : `/${path}`;
    if (!config.v1Disabled && now() < v1Until) {
      const { outcome, attempts } = await attempt('GET', normalized, () => ({}));
      if (outcome.kind === 'ok') return { value: outcome.body, imdsVersion: 'v1' };
      if (!(outcome.kind === 'status' && outcome.status === 401)) throw readError(normalized, outcome, attempts, 'v1', 'IMDSv1 read refused');
      // IMDS now requires tokens (HttpTokens changed to required): try IMDSv2 again right away.
      v1Until = 0;
    }
    return viaToken(normalized);
  }

  async function identity(): Promise<ImdsAnswer<InstanceIdentity>> {
    const versions: ImdsVersion[] = [];
    const read = async (path: string) => {
      const answer = await get(path);
      versions.push(answer.imdsVersion);
      return answer.value.trim();
    };
    // The first read settles the token (or the fallback) so the parallel reads below share it.
    const instanceId = await read('/latest/meta-data/instance-id');
    const macRoot = '/latest/meta-data/network/interfaces/macs/';
    const [region, availabilityZone, macList] = await Promise.all([
      read('/latest/meta-data/placement/region'),
      read('/latest/meta-data/placement/availability-zone'),
      read(macRoot),
    ]);
    const macNames = macList
      .split('\n')
      .map((line) => line.trim().replace(/\/$/, ''))
      .filter(Boolean);
    const macs: ImdsInterface[] = await Promise.all(
      macNames.map(async (mac) => {
        const [deviceNumber, interfaceId] = await Promise.all([read(`${macRoot}${mac}/device-number`), read(`${macRoot}${mac}/interface-id`)]);
        const device = Number(deviceNumber);
        if (!Number.isInteger(device) || device < 0) throw new Error(`IMDS gave device-number ${JSON.stringify(deviceNumber)} for MAC ${mac}`);
        return { mac: mac.toLowerCase(), deviceNumber: device, interfaceId };
      }),
    );
    macs.sort((a, b) => a.deviceNumber - b.deviceNumber);
    // The weakest version that served any part is the honest answer.
    const imdsVersion: ImdsVersion = versions.includes('v1') ? 'v1' : 'v2';
    return { value: { instanceId, region, availabilityZone, macs, source: imdsVersion }, imdsVersion };
  }

  return { get, identity };
}
