// The demo's proof of the hop-limit fix on real Linux networking (root only): per node whose hop
// limit is too low for pods, a pod namespace one routed hop away from a TTL-limited IMDS, probed
// before and after onboarding.
import { describeInstance } from '../aws/instances';
import { curlToken, hopLimitTopologySupport, startHopLimitTopology, type HopLimitTopology } from './hopLimitTopology';
import type { LocalStack } from './stack';

export interface PodImdsProbe {
  /** "timed out …" or "OK", per node name, from before onboarding. */
  before: Map<string, string>;
  /** Probes again and returns one line per node. */
  after(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startPodImdsProbe(stack: LocalStack, desiredHopLimit: number): Promise<PodImdsProbe | { skipped: string }> {
  const support = await hopLimitTopologySupport();
  if (!support.ok) return { skipped: support.reason };
  const topologies = new Map<string, HopLimitTopology>();
  const hopLimits = new Map<string, number>();
  const stop = async () => {
    await Promise.allSettled([...topologies.values()].map((t) => t.stop()));
  };
  try {
    for (const node of stack.nodes) {
      const facts = await describeInstance(stack.ec2, node.instanceId);
      if (facts.metadataOptions.httpPutResponseHopLimit >= desiredHopLimit) continue;
      hopLimits.set(node.name, facts.metadataOptions.httpPutResponseHopLimit);
      topologies.set(node.name, await startHopLimitTopology({ instanceId: node.instanceId, region: stack.region, describe: (id) => describeInstance(stack.ec2, id) }));
    }
    const before = new Map<string, string>();
    await Promise.all(
      [...topologies].map(async ([name, topology]) => {
        const probe = await curlToken(topology, topology.podNetns, 2);
        before.set(name, probe.ok ? 'OK' : probe.reason);
      }),
    );
    return {
      before,
      async after() {
        const lines: string[] = [];
        for (const [name, topology] of topologies) {
          await topology.refresh();
          const probe = await curlToken(topology, topology.podNetns, 2);
          lines.push(
            `${name.padEnd(12)} pod → IMDS token (one routed hop): ${before.get(name)} at hop limit ${hopLimits.get(name)} → ` +
              `${probe.ok ? 'OK' : probe.reason} at hop limit ${topology.currentTtl()}`,
          );
        }
        return lines;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
