// `eniflow agent`: the node agent process (node-local activities on its own queue).
import { NativeConnection } from '@temporalio/worker';
import { createImdsClient } from '../aws/imds';
import { loadImdsConfig } from '../config/imdsEnv';
import { loadAgentEnv } from '../config/processEnv';
import { createIpRouteBackend } from '../linux/iproute';
import { createNodeAgent } from '../workers/agent';
import { installRuntime } from '../workers/runtime';
import { serveHealth, workerHealth } from '../workers/health';

export async function runNodeAgentProcess(): Promise<number> {
  const env = loadAgentEnv();
  const imdsConfig = loadImdsConfig();
  installRuntime({ metricsAddress: env.METRICS_ADDRESS }); // the Runtime owns SIGINT/SIGTERM: it shuts the worker down, then run() returns
  // Our own listener only ends hot-plug waits early so their activities are handed back at once.
  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  for (const signal of SHUTDOWN_SIGNALS) process.once(signal, onSignal);

  const health = await serveHealth(env.HEALTH_PORT);
  let connection: NativeConnection | undefined;
  try {
    connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
    const worker = await createNodeAgent({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      deps: { nodeName: env.NODE_NAME, imds: createImdsClient(imdsConfig), imdsConfig, links: createIpRouteBackend({ netns: env.ENIFLOW_NETNS }) },
      shutdownSignal: stopping.signal,
    });
    health.watch(workerHealth(worker));
    console.log(JSON.stringify({ msg: 'node agent started', node: env.NODE_NAME, taskQueue: `eniflow-node-${env.NODE_NAME}`, healthPort: env.HEALTH_PORT, pid: process.pid }));
    await worker.run(); // returns after SIGINT/SIGTERM once running activities are done or handed back
    console.log(JSON.stringify({ msg: 'node agent stopped', node: env.NODE_NAME }));
  } finally {
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, onSignal);
    await health.close();
    await connection?.close();
  }
  return 0;
}

/** The Temporal Runtime's default shutdownSignals. */
const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'];

