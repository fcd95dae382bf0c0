// offboardNode: takes a node's ENIs away (node deleted, NodeENI deleted, selector no longer
// matching). Idempotent, and it never gives up: a cleanup that cannot finish stays visible, retrying.
import { ApplicationFailure, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { z } from 'zod';
import { cleanupCalls as central } from './activities';
import { offboardProgressQuery, type OffboardInput, type OffboardProgress } from './definitions';
import { releaseEnis } from './release';
import { NODE_NAME, PHASE } from './searchAttributes';

const offboardInputSchema = z.object({
  nodeName: z.string().min(1),
  cluster: z.string().min(1),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
  nodeEniName: z.string().min(1).optional(),
  reason: z.string().min(1),
  forceDetachAfterSeconds: z.number().positive().optional(),
});

export interface OffboardResult {
  nodeName: string;
  released: string[];
  warnings: string[];
}

export async function offboardNode(input: OffboardInput): Promise<OffboardResult> {
  const parsed = offboardInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `invalid offboarding input: ${issue.path.join('.')} ${issue.message}` });
  }
  const progress: OffboardProgress = { nodeName: input.nodeName, phase: 'Listing', reason: input.reason, enis: [], warnings: [] };
  setHandler(offboardProgressQuery, () => progress);
  upsertSearchAttributes([{ key: NODE_NAME, value: input.nodeName }, { key: PHASE, value: 'Offboarding' }]);
  const scope = input.nodeEniName ? `NodeENI ${input.nodeEniName}` : 'all NodeENIs';
  setCurrentDetails(`Offboarding **${input.nodeName}** (${scope}): ${input.reason}`);

  const owned = await central.listNodeEnis({ region: input.region, cluster: input.cluster, nodeName: input.nodeName, nodeEniNames: input.nodeEniName ? [input.nodeEniName] : undefined });
  progress.enis = owned.map((eni) => ({ eniId: eni.eniId, nodeEniName: eni.tags.NodeENI, status: 'pending' }));
  progress.phase = 'Releasing';
  setCurrentDetails(`Offboarding **${input.nodeName}**: releasing ${owned.map((e) => e.eniId).join(', ') || 'nothing'}`);
  progress.warnings = await releaseEnis(owned, {
    nodeName: input.nodeName,
    region: input.region,
    forceDetachAfterSeconds: input.forceDetachAfterSeconds ?? 15,
    now: () => Date.now(),
    onStatus: (eniId, status, detail) => {
      const record = progress.enis.find((e) => e.eniId === eniId);
      if (record) Object.assign(record, { status, detail });
    },
  });
  progress.phase = 'Done';
  upsertSearchAttributes([{ key: PHASE, value: 'Offboarded' }]);
  setCurrentDetails(`Offboarded **${input.nodeName}** (${scope}): ${owned.length} ENIs released`);
  await central.publishStatus({ nodeName: input.nodeName, phase: 'Offboarded', enis: [], interfaces: [], warnings: progress.warnings, releasedEniIds: owned.map((e) => e.eniId), nodeEniName: input.nodeEniName });
  return { nodeName: input.nodeName, released: owned.map((e) => e.eniId), warnings: progress.warnings };
}
