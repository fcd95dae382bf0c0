// Starting and reading onboarding workflows: shared by the CLI, the demo and the controller.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { onboardNode } from '../workflows/onboard';
import { CENTRAL_TASK_QUEUE, onboardWorkflowId, progressQuery, type OnboardInput, type OnboardProgress } from '../workflows/definitions';
import { NODE_NAME } from '../workflows/searchAttributes';

export async function connectClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}

/** Starts onboarding, or returns the node's running onboarding (one workflow per node, ever running). */
export async function startOnboarding(client: Client, input: OnboardInput) {
  return client.workflow.start<typeof onboardNode>('onboardNode', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: onboardWorkflowId(input.nodeName),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [{ key: NODE_NAME, value: input.nodeName }],
    staticSummary: `Onboard node ${input.nodeName} (${input.policies.map((p) => p.name).join(', ')})`,
  });
}

export async function readProgress(client: Client, nodeName: string): Promise<OnboardProgress | undefined> {
  try {
    return await client.workflow.getHandle(onboardWorkflowId(nodeName)).query(progressQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
