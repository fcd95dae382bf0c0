// /healthz (liveness) and /readyz (readiness) for eniflow's long-running processes.
import http from 'node:http';
import type { Worker } from '@temporalio/worker';

export interface HealthState {
  live: boolean;
  ready: boolean;
  state: string;
}

export interface HealthServer {
  /** Where answers come from from now on (before: /healthz 200, /readyz 503 "STARTING"). */
  watch(probe: () => HealthState): void;
  close(): Promise<void>;
}

/** A Temporal worker is live unless it failed or stopped, and ready while it polls its queue. */
export function workerHealth(worker: Worker): () => HealthState {
  return () => {
    const state = worker.getState();
    return { live: state !== 'FAILED' && state !== 'STOPPED', ready: state === 'RUNNING', state };
  };
}

/**
 * Listens before the process connects anywhere, so a slow Temporal is "not ready", not "dead";
 * a busy port fails the start with a clear message.
 */
export async function serveHealth(port: number): Promise<HealthServer> {
  let probe: () => HealthState = () => ({ live: true, ready: false, state: 'STARTING' });
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/readyz') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found: use /healthz or /readyz' }));
      return;
    }
    const health = probe();
    const ok = path === '/healthz' ? health.live : health.ready;
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ state: health.state }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`HEALTH_PORT=${port}: cannot listen for health checks (${err.code ?? err.message})`)),
    );
    server.listen(port, () => resolve());
  });
  return {
    watch: (next) => {
      probe = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
