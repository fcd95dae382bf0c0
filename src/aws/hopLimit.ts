// The seed's "How It Works": check the node's OWN instance's hop limit and change it only when it
// differs, keeping every other metadata option; wait until EC2 has applied it.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { MetadataOptions } from '../domain/types';
import { classifyAwsError } from './errors';
import { describeInstance, setHopLimit, waitMetadataApplied } from './instances';

export interface HopLimitResult {
  action: 'unchanged' | 'updated' | 'disabled' | 'failed';
  before: MetadataOptions;
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
  /** The metadata options just read by verifyImds; read again when absent. */
  current?: MetadataOptions;
  log: (message: string, fields?: Record<string, unknown>) => void;
  onPoll?: () => void;
  timeoutMs?: number;
}

export async function ensureInstanceHopLimit(ec2: EC2Client, req: HopLimitRequest): Promise<HopLimitResult> {
  const facts = await describeInstance(ec2, req.instanceId);
  const before = facts.metadataOptions;
  req.log('IMDS hop limit check', { instanceId: req.instanceId, current: before.httpPutResponseHopLimit, desired: req.desired, httpTokens: before.httpTokens });
  if (!req.autoConfigure) {
    const detail = `auto-configuration disabled (IMDS_AUTO_CONFIGURE_HOP_LIMIT=false); hop limit stays ${before.httpPutResponseHopLimit}`;
    req.log(detail);
    return { action: 'disabled', before, detail };
  }
  if (before.httpPutResponseHopLimit === req.desired) {
    const detail = `hop limit already ${req.desired}; nothing to change`;
    req.log(detail, { instanceId: req.instanceId });
    return { action: 'unchanged', before, after: before, detail };
  }
  try {
    req.log('Updating IMDS hop limit', { instanceId: req.instanceId, from: before.httpPutResponseHopLimit, to: req.desired });
    await setHopLimit(ec2, facts, req.desired);
    const after = await waitMetadataApplied(ec2, req.instanceId, req.desired, { timeoutMs: req.timeoutMs ?? 120_000, onPoll: req.onPoll });
    const detail = `hop limit ${before.httpPutResponseHopLimit} → ${after.httpPutResponseHopLimit} (applied; HttpTokens stays ${after.httpTokens})`;
    req.log('Successfully configured IMDS hop limit', { instanceId: req.instanceId, hopLimit: after.httpPutResponseHopLimit });
    return { action: 'updated', before, after, detail };
  } catch (err) {
    const info = classifyAwsError(err);
    // Throttling and 5xx are worth a retry of the activity; permissions and the like are not.
    if (info.retryable) throw err;
    const warning = hopLimitFailureWarning(info.code, info.message);
    req.log(warning);
    return { action: 'failed', before, detail: warning, warning };
  }
}

/** The seed's troubleshooting case 3, word for word, plus what to do. */
export function hopLimitFailureWarning(code: string, message: string): string {
  const status = code === 'UnauthorizedOperation' || code.startsWith('AccessDenied') ? 'StatusCode: 403' : `code ${code}`;
  return (
    `Failed to configure IMDS hop limit, continuing with default configuration: failed to modify IMDS hop limit: ` +
    `operation error EC2: ModifyInstanceMetadataOptions, https response error ${status}, ${code}: ${message}. ` +
    `Remedy: add the ec2:ModifyInstanceMetadataOptions permission to the IAM role eniflow's central worker uses, ` +
    `or set IMDS_AUTO_CONFIGURE_HOP_LIMIT=false and set the hop limit yourself ` +
    `(aws ec2 modify-instance-metadata-options --instance-id <id> --http-put-response-hop-limit 2).`
  );
}
