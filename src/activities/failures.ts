// Turns errors from the aws/linux layers into Temporal failures whose type drives the retry
// policy (non-retryable types fail fast) and whose message carries the remedy users need.
import { ApplicationFailure } from '@temporalio/activity';
import { classifyAwsError } from '../aws/errors';

export function awsFailure(err: unknown, operation: string): ApplicationFailure {
  const info = classifyAwsError(err);
  const remedy = info.remedy ? ` Remedy: ${info.remedy}` : '';
  return ApplicationFailure.create({
    type: info.code,
    message: `${operation} failed: ${info.code}: ${info.message}.${remedy}`,
    nonRetryable: !info.retryable,
    cause: err instanceof Error ? err : undefined,
  });
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
