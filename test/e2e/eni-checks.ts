// Shared by the eni-* e2e tests: what the EC2 emulator really holds, read straight from moto (never
// through eniflow's code or the proxy), and small helpers around workflow histories.
import { DescribeNetworkInterfacesCommand, EC2Client, type NetworkInterface } from '@aws-sdk/client-ec2';
import type { Client } from '@temporalio/client';
import { DEV_CREDENTIALS } from '../../src/dev/moto';
import type { SeedNode } from '../../src/dev/cloud';
import type { LocalStack } from '../../src/dev/stack';
import { onboardWorkflowId } from '../../src/workflows/definitions';

export interface InventoryEni {
  eniId: string;
  subnetId: string;
  deviceIndex?: number;
  attachmentStatus?: string;
  nodeTag?: string;
}

export interface EniInventory {
  /** Node name → the non-primary ENIs attached to its instance, by device index. */
  perNode: Map<string, InventoryEni[]>;
  /** ENIs in the VPC that are neither a primary nor attached to one of the stack's instances. */
  unaccounted: InventoryEni[];
  /** Every ENI in the VPC, primaries included. */
  total: number;
}

export function seedNodes(prefix: string, count: number): SeedNode[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i + 1}`,
    // Both IMDS flavours users run (AL2023: tokens required; AL2: optional), hop limit 1 to change.
    httpTokens: i % 2 === 0 ? 'required' : 'optional',
    hopLimit: 1,
  }));
}

export function motoClient(stack: LocalStack): EC2Client {
  return new EC2Client({ region: stack.region, endpoint: stack.motoEndpoint, credentials: DEV_CREDENTIALS, maxAttempts: 1 });
}

function toInventory(eni: NetworkInterface): InventoryEni {
  return {
    eniId: eni.NetworkInterfaceId ?? '',
    subnetId: eni.SubnetId ?? '',
    deviceIndex: eni.Attachment?.DeviceIndex,
    attachmentStatus: eni.Attachment?.Status,
    nodeTag: eni.TagSet?.find((t) => t.Key === 'Node')?.Value,
  };
}

/** Every ENI in the stack's VPC, sorted into "attached to a node" and "unaccounted for". */
export async function eniInventory(moto: EC2Client, stack: LocalStack): Promise<EniInventory> {
  const all: NetworkInterface[] = [];
  let nextToken: string | undefined;
  do {
    const res = await moto.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: [stack.cloud.vpcId] }], NextToken: nextToken }));
    all.push(...(res.NetworkInterfaces ?? []));
    nextToken = res.NextToken;
  } while (nextToken);

  const primaries = new Set(stack.cloud.instances.map((i) => i.primaryEniId));
  const nodeOfInstance = new Map(stack.cloud.instances.map((i) => [i.instanceId, i.nodeName]));
  const perNode = new Map<string, InventoryEni[]>(stack.nodes.map((n) => [n.name, []]));
  const unaccounted: InventoryEni[] = [];
  for (const eni of all) {
    if (primaries.has(eni.NetworkInterfaceId ?? '')) continue;
    const node = nodeOfInstance.get(eni.Attachment?.InstanceId ?? '');
    if (node) perNode.get(node)!.push(toInventory(eni));
    else unaccounted.push(toInventory(eni));
  }
  for (const list of perNode.values()) list.sort((a, b) => (a.deviceIndex ?? -1) - (b.deviceIndex ?? -1));
  return { perNode, unaccounted, total: all.length };
}

/** What every node must end with: exactly its ENIs, attached at 1 and 2, tagged for it; nothing else. */
export function expectExactlyTwoEnisPerNode(inventory: EniInventory, stack: LocalStack): void {
  expect(inventory.unaccounted).toEqual([]);
  for (const node of stack.nodes) {
    const enis = inventory.perNode.get(node.name) ?? [];
    expect({ node: node.name, enis: enis.map((e) => ({ deviceIndex: e.deviceIndex, status: e.attachmentStatus, nodeTag: e.nodeTag })) }).toEqual({
      node: node.name,
      enis: [
        { deviceIndex: 1, status: 'attached', nodeTag: node.name },
        { deviceIndex: 2, status: 'attached', nodeTag: node.name },
      ],
    });
    // Two subnets, one ENI each: a duplicate in the same subnet would show here too.
    expect(new Set(enis.map((e) => e.subnetId)).size).toBe(2);
  }
  expect(inventory.total).toBe(stack.cloud.instances.length * 3);
}

export interface ActivityAttempt {
  activityType: string;
  attempt: number;
}

/** The attempt each activity of the node's onboarding ended on (from its history's started events). */
export async function activityAttempts(client: Client, nodeName: string): Promise<ActivityAttempt[]> {
  const history = await client.workflow.getHandle(onboardWorkflowId(nodeName)).fetchHistory();
  const typeOf = new Map<string, string>();
  const out: ActivityAttempt[] = [];
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) typeOf.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const started = event.activityTaskStartedEventAttributes;
    if (started) out.push({ activityType: typeOf.get(String(started.scheduledEventId)) ?? '?', attempt: started.attempt ?? 1 });
  }
  return out;
}

/** Rejects after `ms` with `what` and whatever `context()` says, so a hang fails with a reason. */
export async function within<T>(ms: number, what: string, work: Promise<T>, context: () => string = () => ''): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s. ${context()}`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
