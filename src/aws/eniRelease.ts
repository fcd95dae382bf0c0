// Taking an ENI away cleanly: detach gracefully, force only after a timeout, wait until it is
// 'available', then delete. Idempotent: an ENI already detached or already gone is fine.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { describeEni, detachEni } from './enis';

export interface DetachRequest {
  eniId: string;
  /** Graceful detach first; a forced detach once this much time has passed since `startedAt`. */
  forceAfterMs: number;
  /** When the release began (ms since epoch): retries of the activity keep the same clock. */
  startedAt: number;
  heartbeat: (detail: string) => void;
  sleep: (ms: number) => Promise<void>;
}

export interface DetachResult {
  eniId: string;
  /** 'gone' when the ENI no longer exists (deleted already, or by DeleteOnTermination). */
  state: 'available' | 'gone';
  forced: boolean;
}

export async function detachAndWait(ec2: EC2Client, req: DetachRequest): Promise<DetachResult> {
  let forced = false;
  let requested = false;
  let delay = 250;
  for (;;) {
    const eni = await describeEni(ec2, req.eniId);
    if (!eni) return { eniId: req.eniId, state: 'gone', forced };
    const attachment = eni.attachment;
    if (!attachment || attachment.status === 'detached' || eni.status === 'available') return { eniId: req.eniId, state: 'available', forced };
    const overdue = Date.now() - req.startedAt > req.forceAfterMs;
    if (!requested || (overdue && !forced)) {
      forced = overdue;
      await detachEni(ec2, attachment.attachmentId, forced);
      requested = true;
    }
    req.heartbeat(`waiting for ${req.eniId} to detach (${attachment.status}${forced ? ', forced' : ''})`);
    await req.sleep(delay);
    delay = Math.min(delay * 2, 5000);
  }
}
