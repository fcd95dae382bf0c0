// The local stack shared by `eniflow demo` and the tests: a real Temporal dev server, moto behind
// eniflow's EC2 proxy, a seeded cloud, and one simulated node per instance.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../aws/ec2Client';
import { describeInstance } from '../aws/instances';
import { seedCloud, type SeedNode, type SeededCloud } from './cloud';
import { startEc2Proxy, type Ec2Proxy } from './ec2Proxy';
import { DEV_CREDENTIALS, startMoto, type MotoServer } from './moto';
import { netnsSupport } from './netns';
import { startSimulatedNode, type SimulatedNode } from './simulatedNode';
import { startTemporalDevServer, type TemporalDevServer, type TemporalDevServerOptions } from './temporalServer';

export const DEMO_REGION = 'eu-west-1';

/** Three nodes as users meet them: Amazon Linux 2023 (tokens required) and Amazon Linux 2 (optional). */
export const DEMO_NODES: SeedNode[] = [
  { name: 'demo-node-1', httpTokens: 'required', hopLimit: 1 },
  { name: 'demo-node-2', httpTokens: 'optional', hopLimit: 1 },
  { name: 'demo-node-3', httpTokens: 'required', hopLimit: 2 },
];

export interface LocalStackOptions {
  nodes?: SeedNode[];
  region?: string;
  /** 'auto': network namespaces when running as root with iproute2, in-memory interfaces otherwise. */
  nodeMode?: 'auto' | 'netns' | 'memory';
  /** An already-running Temporal server to use instead of starting one (the tests share one). */
  temporalAddress?: string;
  /** Namespace on that server (default "default"). */
  namespace?: string;
  temporal?: TemporalDevServerOptions;
  /** When set, DIR/stack.json is written as soon as the endpoints are up. */
  stateDir?: string;
  /** EC2 proxy in strict (real-AWS) mode; default true. */
  strictEc2?: boolean;
}

export interface StackNode extends SimulatedNode {
  availabilityZone: string;
  providerID: string;
}

export interface LocalStack {
  temporalAddress: string;
  namespace: string;
  uiUrl: string;
  region: string;
  ec2Endpoint: string;
  /** moto itself, behind the proxy: for checks that must not go through eniflow's own code. */
  motoEndpoint: string;
  proxy: Ec2Proxy;
  ec2: EC2Client;
  cloud: SeededCloud;
  nodes: StackNode[];
  nodeMode: 'netns' | 'memory';
  /** Why namespaces were not used, when they were not. */
  nodeModeReason?: string;
  ec2ClientFor(region: string): EC2Client;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const region = options.region ?? DEMO_REGION;
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    const [temporal, moto] = await Promise.all([
      options.temporalAddress ? Promise.resolve<TemporalDevServer | undefined>(undefined) : startTemporalDevServer(options.temporal),
      startMoto(),
    ]);
    if (temporal) stoppers.push(() => temporal.stop());
    stoppers.push(() => (moto as MotoServer).stop());
    const proxy = await startEc2Proxy({ target: moto.endpoint, strict: options.strictEc2 ?? true });
    stoppers.push(() => proxy.stop());

    const ec2ClientFor = (r: string) => createEc2Client({ region: r, endpoint: proxy.endpoint, credentials: DEV_CREDENTIALS });
    const ec2 = ec2ClientFor(region);
    const cloud = await seedCloud(ec2, { region, nodes: options.nodes ?? DEMO_NODES });

    const { mode, reason } = await chooseNodeMode(options.nodeMode ?? 'auto');
    const nodes: StackNode[] = [];
    for (const instance of cloud.instances) {
      const node = await startSimulatedNode({
        name: instance.nodeName,
        instanceId: instance.instanceId,
        region,
        mode,
        describe: (id) => describeInstance(ec2, id),
      });
      stoppers.push(() => node.stop());
      nodes.push(Object.assign(node, {
        availabilityZone: instance.availabilityZone,
        providerID: `aws:///${instance.availabilityZone}/${instance.instanceId}`,
      }));
    }
    // The hypervisor's hot-plug: an attach or detach makes the interface appear or vanish at once.
    proxy.events.on('call', (call: { action: string; status: number }) => {
      if (call.status < 300 && /^(Attach|Detach|Delete)NetworkInterface$/.test(call.action)) {
        for (const node of nodes) void node.sync().catch(() => undefined);
      }
    });

    const stack: LocalStack = {
      temporalAddress: options.temporalAddress ?? temporal!.address,
      namespace: options.namespace ?? 'default',
      uiUrl: temporal?.uiUrl ?? '',
      region,
      ec2Endpoint: proxy.endpoint,
      motoEndpoint: moto.endpoint,
      proxy,
      ec2,
      cloud,
      nodes,
      nodeMode: mode,
      nodeModeReason: reason,
      ec2ClientFor,
      stop: stopAll,
    };
    if (options.stateDir) writeStackState(options.stateDir, stack);
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function chooseNodeMode(wanted: 'auto' | 'netns' | 'memory'): Promise<{ mode: 'netns' | 'memory'; reason?: string }> {
  if (wanted === 'memory') return { mode: 'memory', reason: 'in-memory interfaces were asked for' };
  const support = await netnsSupport();
  if (support.ok) return { mode: 'netns' };
  if (wanted === 'netns') throw new Error(`network namespaces are not usable here: ${support.reason}`);
  return { mode: 'memory', reason: support.reason };
}

export function writeStackState(dir: string, stack: LocalStack): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'stack.json');
  const state = {
    temporalAddress: stack.temporalAddress,
    namespace: stack.namespace,
    uiUrl: stack.uiUrl,
    ec2Endpoint: stack.ec2Endpoint,
    region: stack.region,
    nodeMode: stack.nodeMode,
    nodes: stack.nodes.map((n) => ({ name: n.name, instanceId: n.instanceId, imdsEndpoint: n.imdsEndpoint, netns: n.netns, providerID: n.providerID })),
  };
  writeFileSync(file, JSON.stringify(state, null, 2) + '\n');
  return file;
}
