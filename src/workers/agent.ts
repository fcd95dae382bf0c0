// The node agent: an activity-only worker on the node's own queue `eniflow-node-<nodeName>`.
import { NativeConnection, Worker } from '@temporalio/worker';
import { createNodeActivities, type NodeDeps } from '../activities/node';
import { guardLinks, primaryMacFromImds } from '../linux/guardedLinks';
import { nodeTaskQueue } from '../workflows/definitions';

export interface NodeAgentOptions {
  connection: NativeConnection;
  namespace: string;
  deps: NodeDeps;
  /**
   * Aborted when the agent is asked to stop (SIGTERM): waits for a hot-plug end at once and their
   * activity goes back to the queue for the next agent; short changes (MTU, up) still finish.
   */
  shutdownSignal?: AbortSignal;
  /** How long running activities get after shutdown starts before they are cancelled; default 20 s. */
  shutdownGraceTime?: string;
}

export async function createNodeAgent(options: NodeAgentOptions): Promise<Worker> {
  const { deps } = options;
  // Whatever a request says, the instance's primary interface (IMDS `mac`) is never changed.
  const links = guardLinks(deps.links, {
    protectedMacs: primaryMacFromImds((path) => deps.imds.get(path)),
    shutdownSignal: options.shutdownSignal,
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: nodeTaskQueue(deps.nodeName),
    activities: createNodeActivities({ ...deps, links }),
    // One slot per ENI wait (AWS allows up to ~15 ENIs per network card); every slot beyond is idle.
    maxConcurrentActivityTaskExecutions: 32,
    // Inside a DaemonSet's default 30 s termination grace: the running activity finishes or is handed back.
    shutdownGraceTime: options.shutdownGraceTime ?? '20s',
  });
}
