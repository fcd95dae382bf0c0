// Starting and reading onboarding workflows: shared by the CLI, the demo and the controller.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { onboardNode } from '../workflows/onboard';
import type { offboardNode } from '../workflows/offboard';
import {
  CENTRAL_TASK_QUEUE,
  desiredStateSignal,
  offboardProgressQuery,
  offboardWorkflowId,
  onboardWorkflowId,
  progressQuery,
  type OffboardInput,
  type OffboardProgress,
  type OnboardInput,
  type OnboardProgress,
} from '../workflows/definitions';
import { NODE_NAME } from '../workflows/searchAttributes';

export async function connectClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}

/**
 * Starts onboarding with this desired state, or hands it to the node's running onboarding, which
 * applies it after its current pass (signalWithStart: one workflow per node at a time, no lost change).
 */
export async function startOnboarding(client: Client, input: OnboardInput) {
  return client.workflow.signalWithStart<typeof onboardNode, [OnboardInput]>('onboardNode', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: onboardWorkflowId(input.nodeName),
    args: [input],
    signal: desiredStateSignal,
    signalArgs: [input],
    typedSearchAttributes: [{ key: NODE_NAME, value: input.nodeName }],
    staticSummary: `Onboard node ${input.nodeName} (${input.policies.map((p) => p.name).join(', ')})`,
  });
}

/**
 * Starts offboarding (or joins the one running). A whole-node offboarding first cancels the node's
 * onboarding so it cannot attach anything behind the cleanup's back.
 */
export async function startOffboarding(client: Client, input: OffboardInput) {
  if (!input.nodeEniName) {
    const onboarding = client.workflow.getHandle(onboardWorkflowId(input.nodeName));
    try {
      const { status } = await onboarding.describe();
      if (status.name === 'RUNNING') {
        await onboarding.cancel();
        await onboarding.result().catch(() => undefined);
      }
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return client.workflow.start<typeof offboardNode>('offboardNode', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: offboardWorkflowId(input.nodeName, input.nodeEniName),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [{ key: NODE_NAME, value: input.nodeName }],
    staticSummary: `Offboard node ${input.nodeName}: ${input.reason}`,
  });
}

export async function readOffboardProgress(client: Client, nodeName: string, nodeEniName?: string): Promise<OffboardProgress | undefined> {
  try {
    return await client.workflow.getHandle(offboardWorkflowId(nodeName, nodeEniName)).query(offboardProgressQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export async function readProgress(client: Client, nodeName: string): Promise<OnboardProgress | undefined> {
  try {
    return await client.workflow.getHandle(onboardWorkflowId(nodeName)).query(progressQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
