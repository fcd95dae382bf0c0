// Runs eniflow's own processes against a local stack, in this process: one central worker and one
// node agent per simulated node (each on its own task queue, as in a cluster).
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadImdsConfig, type ImdsConfig } from '../config/imdsEnv';
import { createImdsClient } from '../aws/imds';
import { logStatusPublisher, type StatusPublisher } from '../activities/status';
import { createCentralWorker } from '../workers/central';
import { createNodeAgent } from '../workers/agent';
import { installRuntime } from '../workers/runtime';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../aws/ec2Client';
import { DEV_CREDENTIALS } from './moto';
import type { LocalStack, StackNode } from './stack';
import type { NodeEniPolicy } from '../config/nodeEni';
import { startOnboarding } from '../cli/workflowClient';
import { samplePolicy } from './sampleNodeEni';

export interface StackWorkers {
  client: Client;
  connection: NativeConnection;
  /** Absent when `central: false` (e.g. a test runs the central worker as a separate process). */
  central?: Worker;
  agents: Map<string, Worker>;
  imdsConfigFor(node: StackNode): ImdsConfig;
  stop(): Promise<void>;
}

export interface StackWorkerOptions {
  statusPublisher?: StatusPublisher;
  /** Environment the IMDS configuration is parsed from (the seed's variables); default process.env. */
  env?: NodeJS.ProcessEnv;
  logLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Start agents only for these nodes (tests start the others later). */
  agentsFor?: string[];
  maxEc2CallsPerSecond?: number;
  /** Start the in-process central worker (default true); crash tests run it as a process instead. */
  central?: boolean;
  /**
   * EC2 endpoint for the central worker; default the stack's proxy. Tests put a fault-injecting or
   * counting proxy in front of the stack's so only eniflow's own calls are faulted or counted
   * (the simulated nodes' hypervisor polling goes straight to the stack's proxy).
   */
  ec2Endpoint?: string;
}

export async function startStackWorkers(stack: LocalStack, options: StackWorkerOptions = {}): Promise<StackWorkers> {
  installRuntime(options.logLevel ?? 'WARN');
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const clientConnection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: stack.namespace });
  const running: Array<{ worker: Worker; done: Promise<void> }> = [];
  const imdsConfigFor = (node: StackNode) =>
    loadImdsConfig({ ...(options.env ?? process.env), AWS_EC2_METADATA_SERVICE_ENDPOINT: node.imdsEndpoint });

  // One EC2 client per region, as in the central worker process (and one SDK retry quota per client).
  const clients = new Map<string, EC2Client>();
  let central: Worker | undefined;
  if (options.central ?? true) {
    const ec2Endpoint = options.ec2Endpoint ?? stack.ec2Endpoint;
    const ec2For = (region: string) => {
      let client = clients.get(region);
      if (!client) clients.set(region, (client = createEc2Client({ region, endpoint: ec2Endpoint, credentials: DEV_CREDENTIALS })));
      return client;
    };
    central = await createCentralWorker({
      connection,
      namespace: stack.namespace,
      deps: { ec2For, statusPublisher: options.statusPublisher ?? logStatusPublisher(() => undefined) },
      maxEc2CallsPerSecond: options.maxEc2CallsPerSecond,
    });
    running.push({ worker: central, done: central.run() });
  }

  const agents = new Map<string, Worker>();
  for (const node of stack.nodes) {
    if (options.agentsFor && !options.agentsFor.includes(node.name)) continue;
    const imdsConfig = imdsConfigFor(node);
    const agent = await createNodeAgent({
      connection,
      namespace: stack.namespace,
      deps: { nodeName: node.name, imds: createImdsClient(imdsConfig), imdsConfig, links: node.links },
    });
    agents.set(node.name, agent);
    running.push({ worker: agent, done: agent.run() });
  }

  return {
    client,
    connection,
    central,
    agents,
    imdsConfigFor,
    async stop() {
      for (const { worker } of running) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(running.map((r) => r.done));
      await clientConnection.close();
      await connection.close();
      for (const ec2 of clients.values()) ec2.destroy();
    },
  };
}

/**
 * Onboards one simulated node (all of them: onboardStackNodes) against the sample NodeENI, or the
 * policies given: what the demo, the benchmarks and the end-to-end tests all do.
 */
export function onboardStackNode(
  client: Client,
  node: StackNode,
  opts: { cluster: string; policies?: NodeEniPolicy[]; hopLimit?: number; autoConfigure?: boolean },
) {
  return startOnboarding(client, {
    nodeName: node.name,
    cluster: opts.cluster,
    providerID: node.providerID,
    policies: opts.policies ?? [samplePolicy()],
    imds: { autoConfigure: opts.autoConfigure ?? true, hopLimit: opts.hopLimit ?? 2 },
  });
}

export function onboardStackNodes(client: Client, stack: LocalStack, opts: Parameters<typeof onboardStackNode>[2]) {
  return Promise.all(stack.nodes.map((node) => onboardStackNode(client, node, opts)));
}
