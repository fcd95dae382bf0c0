// How the workflows call activities: task queues, timeouts and retry policies per kind of step.
import { proxyActivities } from '@temporalio/workflow';
import type { CentralActivities } from '../activities/central';
import type { NodeActivities } from '../activities/node';
import { CENTRAL_TASK_QUEUE, nodeTaskQueue } from './definitions';

/** Failure types that retrying cannot cure; activities raise them, the retry policy honours them. */
export const NON_RETRYABLE_TYPES = [
  'InvalidInput',
  'InvalidNodeEni',
  'ReferenceNotFound',
  'UnauthorizedOperation',
  'InvalidParameterValue',
  'InvalidSubnetID.NotFound',
  'InvalidGroup.NotFound',
  'InvalidInstanceID.NotFound',
  'AttachmentLimitExceeded',
  'DeviceIndexExhausted',
  'EniAttachedElsewhere',
  'InvalidMtu',
  'ProtectedInterface',
  'DeviceIndexConflict',
  'NoUsableSubnet',
  'InstanceIdUnknown',
  'RegionUnknown',
];

// 30 s: three SDK attempts of 8 s fit in one activity attempt, and a crashed worker holds a node up
// for at most 30 s before another worker retries the activity.
export const central = proxyActivities<CentralActivities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 12, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

// Waiting for EC2 to finish an attachment or a metadata change: heartbeats prove liveness.
export const centralWaits = proxyActivities<CentralActivities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

export function nodeActivities(nodeName: string, scheduleToClose: string, attempts: number) {
  // scheduleToClose, not startToClose: a node whose agent is not (yet) running must not hang the workflow forever.
  return proxyActivities<NodeActivities>({
    taskQueue: nodeTaskQueue(nodeName),
    scheduleToCloseTimeout: scheduleToClose,
    startToCloseTimeout: '3 minutes',
    heartbeatTimeout: '20 seconds',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: attempts, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
  });
}

// Cleanup retries without end (capped backoff): a leak must stay visible, never be dropped.
export const cleanupCalls = proxyActivities<CentralActivities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const cleanupWaits = proxyActivities<CentralActivities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Node steps that may be skipped: the node may be gone (deleted, terminated). */
export function nodeBestEffort(nodeName: string) {
  return proxyActivities<NodeActivities>({
    taskQueue: nodeTaskQueue(nodeName),
    scheduleToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 2 },
  });
}
