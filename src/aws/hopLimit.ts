// The seed's "How It Works": check the node's OWN instance's hop limit and change it only when it
// differs, keeping every other metadata option; wait until EC2 has applied it; log every step.
// A failure that retrying cannot cure (a missing IAM permission) is a warning, never a failed onboarding.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { MetadataOptions } from '../domain/types';
import { classifyAwsError } from './errors';
import { hopLimitConfigFailedWarning } from './imdsMessages';
import { describeInstance, setHopLimit, waitMetadataApplied } from './instances';

export interface HopLimitResult {
  action: 'unchanged' | 'updated' | 'disabled' | 'failed';
  /** Absent only when DescribeInstances itself failed. */
  before?: MetadataOptions;
  after?: MetadataOptions;
  /** Human-readable line for logs and the workflow's step detail. */
  detail: string;
  /** Set when configuration failed: a warning for the node's status, never a failed onboarding. */
  warning?: string;
}

export interface HopLimitRequest {
  instanceId: string;
  desired: number;
  autoConfigure: boolean;
  /** The metadata options just read by verifyImds (logged for comparison; EC2 is asked again). */
  current?: MetadataOptions;
  log: (message: string, fields?: Record<string, unknown>) => void;
  onPoll?: () => void;
  timeoutMs?: number;
  /** Poll interval while waiting for `applied`; default 1 s. */
  pollIntervalMs?: number;
}

type Ec2Operation = 'DescribeInstances' | 'ModifyInstanceMetadataOptions';

/** The Go SDK's error shape the seed quotes: "operation error EC2: <Op>, https response error StatusCode: 403, <Code>: <message>". */
function operationErrorText(operation: Ec2Operation, err: unknown, code: string, message: string): { text: string; statusCode?: number } {
  const statusCode = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const response = statusCode !== undefined ? `https response error StatusCode: ${statusCode}, ` : '';
  return { text: `operation error EC2: ${operation}, ${response}${code}: ${message}`, statusCode };
}

export async function ensureInstanceHopLimit(ec2: EC2Client, req: HopLimitRequest): Promise<HopLimitResult> {
  const fail = (operation: Ec2Operation, err: unknown, before?: MetadataOptions): HopLimitResult => {
    const info = classifyAwsError(err, { operation });
    // Throttling, 5xx and timeouts are worth a retry of the activity; permissions and the like are not.
    if (info.retryable) throw err;
    const cause = operationErrorText(operation, err, info.code, info.message);
    const warning = hopLimitConfigFailedWarning({ operation, cause: cause.text, statusCode: cause.statusCode, instanceId: req.instanceId, hopLimit: req.desired });
    req.log(warning, { instanceId: req.instanceId, operation, code: info.code });
    return { action: 'failed', ...(before ? { before } : {}), detail: warning, warning };
  };

  req.log('Checking IMDS hop limit via DescribeInstances', { instanceId: req.instanceId, desired: req.desired, autoConfigure: req.autoConfigure });
  // verifyImds has just described the instance: its answer saves a second DescribeInstances.
  let before: MetadataOptions;
  if (req.current && req.current.state === 'applied') {
    before = req.current;
  } else {
    try {
      before = (await describeInstance(ec2, req.instanceId)).metadataOptions;
    } catch (err) {
      return fail('DescribeInstances', err);
    }
  }
  req.log('Current IMDS configuration', {
    instanceId: req.instanceId,
    hopLimit: before.httpPutResponseHopLimit,
    httpTokens: before.httpTokens,
    httpEndpoint: before.httpEndpoint,
    state: before.state,
    desired: req.desired,
  });
  if (!req.autoConfigure) {
    const detail = `auto-configuration disabled (IMDS_AUTO_CONFIGURE_HOP_LIMIT=false); hop limit stays ${before.httpPutResponseHopLimit}`;
    req.log(detail, { instanceId: req.instanceId });
    return { action: 'disabled', before, detail };
  }
  if (before.httpPutResponseHopLimit === req.desired) {
    const detail = `hop limit already ${req.desired}; nothing to change`;
    req.log(`IMDS hop limit is already ${req.desired}; no ModifyInstanceMetadataOptions call needed`, { instanceId: req.instanceId });
    return { action: 'unchanged', before, after: before, detail };
  }

  req.log('Updating IMDS hop limit via ModifyInstanceMetadataOptions', {
    instanceId: req.instanceId,
    from: before.httpPutResponseHopLimit,
    to: req.desired,
    httpTokens: before.httpTokens,
  });
  try {
    await setHopLimit(ec2, req.instanceId, before, req.desired);
  } catch (err) {
    return fail('ModifyInstanceMetadataOptions', err, before);
  }
  req.log('Waiting for the IMDS metadata options to be applied', { instanceId: req.instanceId, hopLimit: req.desired });
  // A timeout here is retryable (the activity runs again and finds the change done or still pending).
  const after = await waitMetadataApplied(ec2, req.instanceId, req.desired, {
    timeoutMs: req.timeoutMs ?? 120_000,
    intervalMs: req.pollIntervalMs,
    onPoll: req.onPoll,
  });
  const detail = `hop limit ${before.httpPutResponseHopLimit} → ${after.httpPutResponseHopLimit} (applied; HttpTokens stays ${after.httpTokens})`;
  req.log('Successfully configured IMDS hop limit', { instanceId: req.instanceId, hopLimit: after.httpPutResponseHopLimit, httpTokens: after.httpTokens });
  return { action: 'updated', before, after, detail };
}
