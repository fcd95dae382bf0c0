// `eniflow worker`: the central worker process (workflows + EC2 and Kubernetes activities).
import { NativeConnection } from '@temporalio/worker';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../aws/ec2Client';
import { loadCentralEnv } from '../config/processEnv';
import { statusPublisherFromEnv } from './controllerCommand';
import { createCentralWorker } from '../workers/central';
import { installRuntime } from '../workers/runtime';
import { serveHealth, workerHealth } from '../workers/health';

export async function runCentralWorkerProcess(): Promise<number> {
  const env = loadCentralEnv();
  installRuntime({ metricsAddress: env.METRICS_ADDRESS });
  const clients = new Map<string, EC2Client>();
  const ec2For = (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = createEc2Client({ region, endpoint: env.EC2_ENDPOINT });
      clients.set(region, client);
    }
    return client;
  };
  const health = await serveHealth(env.HEALTH_PORT);
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const worker = await createCentralWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    deps: { ec2For, statusPublisher: await statusPublisherFromEnv() },
    maxEc2CallsPerSecond: env.EC2_RATE_LIMIT,
  });
  health.watch(workerHealth(worker));
  console.log(JSON.stringify({ msg: 'central worker started', taskQueue: 'eniflow-central', temporal: env.TEMPORAL_ADDRESS, ec2RateLimit: env.EC2_RATE_LIMIT }));
  try {
    await worker.run(); // returns after SIGINT/SIGTERM once running tasks are done or handed back
  } finally {
    await health.close();
    await connection.close();
  }
  return 0;
}

