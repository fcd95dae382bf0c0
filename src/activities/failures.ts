// Turns errors from the aws/linux layers into Temporal failures whose type drives the retry
// policy (non-retryable types fail fast) and whose message carries the remedy users need.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { classifyAwsError } from '../aws/errors';

const THROTTLING = /RequestLimitExceeded|Throttl|SlowDown|BandwidthLimitExceeded|EC2ThrottledException/;

/**
 * Temporal's server-side retries have no jitter: a fleet of nodes throttled together would retry in
 * lockstep. For throttling, the next attempt waits a random "full jitter" delay instead.
 */
export function throttleRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
  return Math.max(500, Math.floor(random() * cap));
}

export function awsFailure(err: unknown, operation: string): ApplicationFailure {
  const info = classifyAwsError(err);
  const remedy = info.remedy ? ` Remedy: ${info.remedy}` : '';
  const throttled = info.retryable && THROTTLING.test(info.code);
  return ApplicationFailure.create({
    type: info.code,
    message: `${operation} failed: ${info.code}: ${info.message}.${remedy}`,
    nonRetryable: !info.retryable,
    nextRetryDelay: throttled ? throttleRetryDelayMs(currentAttempt()) : undefined,
    cause: err instanceof Error ? err : undefined,
  });
}

function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1; // outside an activity (unit tests, scripts)
  }
}

export function nonRetryable(type: string, message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, cause: cause instanceof Error ? cause : undefined });
}

/** Runs an EC2 call; any failure leaves as a classified Temporal failure. */
export async function ec2Call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw awsFailure(err, operation);
  }
}

/** The same failure, but retryable: for cleanup, which must keep trying and stay visible. */
export function retryable(failure: ApplicationFailure): ApplicationFailure {
  return ApplicationFailure.create({ type: failure.type ?? undefined, message: failure.message, nonRetryable: false, cause: failure.cause });
}
