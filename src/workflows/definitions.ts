// Workflow-facing contract: inputs, progress shape, queries. Shared by workflows, CLI and controller.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { NodeEniPolicy } from '../config/nodeEni';
import type { InterfaceReport, MetadataOptions } from '../domain/types';

export const CENTRAL_TASK_QUEUE = 'eniflow-central';
/** Node-local activities run on the node's own agent, reachable only through this queue. */
export function nodeTaskQueue(nodeName: string): string {
  return `eniflow-node-${nodeName}`;
}
export function onboardWorkflowId(nodeName: string): string {
  return `onboard/${nodeName}`;
}
/** One offboarding per node and scope: a whole node, or one NodeENI's ENIs on it. */
export function offboardWorkflowId(nodeName: string, nodeEniName?: string): string {
  return nodeEniName ? `offboard/${nodeName}/${nodeEniName}` : `offboard/${nodeName}`;
}

export interface HopLimitSettings {
  autoConfigure: boolean;
  hopLimit: number;
}

export interface OnboardInput {
  nodeName: string;
  /** Cluster name: part of every ENI's identity (tags, ClientToken). */
  cluster: string;
  /** The node's spec.providerID (aws:///<az>/<instance-id>): fallback when the agent cannot read IMDS. */
  providerID?: string;
  /** The NodeENI policies whose selectors match this node. */
  policies: NodeEniPolicy[];
  imds: HopLimitSettings;
}

export type Phase =
  | 'Pending'
  | 'DetectingInstance'
  | 'VerifyingImds'
  | 'ConfiguringHopLimit'
  | 'EnsuringEnis'
  | 'ConfiguringInterfaces'
  | 'PublishingStatus'
  | 'Ready'
  | 'Failed';

export type StepName = 'detectInstance' | 'verifyImds' | 'ensureHopLimit' | 'ensureEnis' | 'configureInterfaces' | 'publishStatus';
export const STEP_NAMES: StepName[] = ['detectInstance', 'verifyImds', 'ensureHopLimit', 'ensureEnis', 'configureInterfaces', 'publishStatus'];

export interface StepProgress {
  name: StepName;
  status: 'pending' | 'running' | 'done' | 'warning' | 'failed';
  detail?: string;
  startedAt?: string;
  endedAt?: string;
}

export interface EniProgress {
  nodeEniName: string;
  subnetId: string;
  subnetCidr?: string;
  deviceIndex: number;
  eniId?: string;
  privateIpAddress?: string;
  mac?: string;
  attachmentId?: string;
  status: 'planned' | 'created' | 'adopted' | 'attached' | 'configured' | 'failed' | 'released';
  interfaceName?: string;
  mtu?: number;
}

export interface OnboardProgress {
  nodeName: string;
  phase: Phase;
  instanceId?: string;
  region?: string;
  availabilityZone?: string;
  imdsSource?: string;
  metadataOptions?: MetadataOptions;
  steps: StepProgress[];
  enis: EniProgress[];
  interfaces: InterfaceReport[];
  warnings: string[];
  /** ENIs this onboarding took away because no plan wanted them any more. */
  released?: string[];
  error?: string;
  startedAt: string;
  finishedAt?: string;
}

export const progressQuery = defineQuery<OnboardProgress>('progress');

/**
 * A node's desired state changed (a NodeENI was edited, or one more now matches). Sent with
 * signalWithStart: a running onboarding picks it up after its current pass, a finished one starts anew.
 */
export const desiredStateSignal = defineSignal<[OnboardInput]>('desiredStateChanged');

export interface OffboardInput {
  nodeName: string;
  cluster: string;
  region: string;
  /** Only this NodeENI's ENIs (a NodeENI deleted, or its selector no longer matching); all when absent. */
  nodeEniName?: string;
  reason: string;
  /** Graceful detach first; forced after this many seconds (the original's DETACHMENT_TIMEOUT, 15 s). */
  forceDetachAfterSeconds?: number;
}

export interface OffboardProgress {
  nodeName: string;
  phase: 'Listing' | 'Releasing' | 'Done';
  reason: string;
  enis: Array<{ eniId: string; nodeEniName?: string; status: 'pending' | 'detaching' | 'deleting' | 'deleted'; detail?: string }>;
  warnings: string[];
}

export const offboardProgressQuery = defineQuery<OffboardProgress>('offboardProgress');
