// The long-running processes: the central worker and the node agent.
import http from 'node:http';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../aws/ec2Client';
import { createImdsClient } from '../aws/imds';
import { loadImdsConfig } from '../config/imdsEnv';
import { loadAgentEnv, loadCentralEnv } from '../config/processEnv';
import { logStatusPublisher } from '../activities/status';
import { createIpRouteBackend } from '../linux/iproute';
import { createCentralWorker } from '../workers/central';
import { createNodeAgent } from '../workers/agent';
import { installRuntime } from '../workers/runtime';

export async function runCentralWorkerProcess(): Promise<number> {
  const env = loadCentralEnv();
  installRuntime();
  const clients = new Map<string, EC2Client>();
  const ec2For = (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = createEc2Client({ region, endpoint: env.EC2_ENDPOINT });
      clients.set(region, client);
    }
    return client;
  };
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const worker = await createCentralWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    deps: { ec2For, statusPublisher: logStatusPublisher() },
    maxEc2CallsPerSecond: env.EC2_RATE_LIMIT,
  });
  console.log(JSON.stringify({ msg: 'central worker started', taskQueue: 'eniflow-central', temporal: env.TEMPORAL_ADDRESS, ec2RateLimit: env.EC2_RATE_LIMIT }));
  await worker.run(); // returns after SIGINT/SIGTERM once running tasks are done or handed back
  await connection.close();
  return 0;
}

export async function runNodeAgentProcess(): Promise<number> {
  const env = loadAgentEnv();
  const imdsConfig = loadImdsConfig();
  installRuntime();
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const worker = await createNodeAgent({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    deps: { nodeName: env.NODE_NAME, imds: createImdsClient(imdsConfig), imdsConfig, links: createIpRouteBackend({ netns: env.ENIFLOW_NETNS }) },
  });
  const health = serveHealth(worker, env.HEALTH_PORT);
  console.log(JSON.stringify({ msg: 'node agent started', node: env.NODE_NAME, taskQueue: `eniflow-node-${env.NODE_NAME}`, healthPort: env.HEALTH_PORT }));
  try {
    await worker.run();
  } finally {
    health.close();
    await connection.close();
  }
  return 0;
}

/** /healthz (liveness) and /readyz (readiness): 200 while the worker is polling its queue. */
function serveHealth(worker: Worker, port: number): http.Server {
  const server = http.createServer((req, res) => {
    const state = worker.getState();
    const healthy = req.url === '/healthz' ? state !== 'FAILED' && state !== 'STOPPED' : state === 'RUNNING';
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ state }));
  });
  server.listen(port);
  return server;
}
