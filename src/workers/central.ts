// The central worker: onboarding workflows plus EC2 and Kubernetes activities on `eniflow-central`.
import { NativeConnection, Worker } from '@temporalio/worker';
import { createCentralActivities, type CentralDeps } from '../activities/central';
import { CENTRAL_TASK_QUEUE } from '../workflows/definitions';
import { workflowBundle } from './bundle';

export interface CentralWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  deps: CentralDeps;
  taskQueue?: string;
  /**
   * Server-side limit on EC2 activities per second across ALL central workers of this queue, so a
   * fleet of joining nodes stays under AWS's request token buckets.
   */
  maxEc2CallsPerSecond?: number;
  maxConcurrentActivities?: number;
}

export async function createCentralWorker(options: CentralWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? CENTRAL_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createCentralActivities(options.deps),
    maxTaskQueueActivitiesPerSecond: options.maxEc2CallsPerSecond,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 20,
  });
}
