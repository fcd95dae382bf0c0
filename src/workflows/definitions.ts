// Workflow-facing contract: inputs, progress shape, queries. Shared by workflows, CLI and controller.
import { defineQuery } from '@temporalio/workflow';
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
  deviceIndex: number;
  eniId?: string;
  mac?: string;
  attachmentId?: string;
  status: 'planned' | 'created' | 'adopted' | 'attached' | 'configured' | 'failed';
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
  error?: string;
  startedAt: string;
  finishedAt?: string;
}

export const progressQuery = defineQuery<OnboardProgress>('progress');
