// `eniflow agent`: the node agent process (node-local activities on its own queue).
import http from 'node:http';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createImdsClient } from '../aws/imds';
import { loadImdsConfig } from '../config/imdsEnv';
import { loadAgentEnv } from '../config/processEnv';
import { createIpRouteBackend } from '../linux/iproute';
import { createNodeAgent } from '../workers/agent';
import { installRuntime } from '../workers/runtime';

export async function runNodeAgentProcess(): Promise<number> {
  const env = loadAgentEnv();
  const imdsConfig = loadImdsConfig();
  installRuntime(); // the Runtime owns SIGINT/SIGTERM: it shuts the worker down, then run() returns
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
    health.watch(worker);
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

interface HealthServer {
  /** Start answering from this worker's state (before: /healthz 200, /readyz 503 "starting"). */
  watch(worker: Worker): void;
  close(): Promise<void>;
}

/**
 * /healthz (liveness: 200 unless the worker failed or stopped) and /readyz (readiness: 200 while the
 * worker polls its queue). Listens before connecting to Temporal, so a slow server is "not ready",
 * not "dead"; a busy port fails the start with a clear message.
 */
async function serveHealth(port: number): Promise<HealthServer> {
  let worker: Worker | undefined;
  const server = http.createServer((req, res) => {
    const state = worker?.getState() ?? 'STARTING';
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/readyz') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found: use /healthz or /readyz' }));
      return;
    }
    const healthy = path === '/healthz' ? state !== 'FAILED' && state !== 'STOPPED' : state === 'RUNNING';
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ state }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`HEALTH_PORT=${port}: cannot listen for health checks (${err.code ?? err.message})`)),
    );
    server.listen(port, () => resolve());
  });
  return {
    watch: (w) => {
      worker = w;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
