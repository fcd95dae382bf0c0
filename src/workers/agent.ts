// The node agent: an activity-only worker on the node's own queue `eniflow-node-<nodeName>`.
import { NativeConnection, Worker } from '@temporalio/worker';
import { createNodeActivities, type NodeDeps } from '../activities/node';
import { nodeTaskQueue } from '../workflows/definitions';

export interface NodeAgentOptions {
  connection: NativeConnection;
  namespace: string;
  deps: NodeDeps;
}

export async function createNodeAgent(options: NodeAgentOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: nodeTaskQueue(options.deps.nodeName),
    activities: createNodeActivities(options.deps),
    // A node configures a handful of interfaces; a small pool keeps the agent light.
    maxConcurrentActivityTaskExecutions: 8,
    // On SIGTERM the running activity gets this long to finish before it is handed back.
    shutdownGraceTime: '20s',
  });
}
