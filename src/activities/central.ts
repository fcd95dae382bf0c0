// Central activities: EC2 and status calls, run by the central workers on `eniflow-central`.
// Thin: the logic lives in src/aws; these add heartbeats, logging and failure classification.
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EniFacts, EniPlan, InstanceFacts, MetadataOptions } from '../domain/types';
import { DeviceIndexExhaustedError } from '../domain/deviceIndex';
import { deleteEni as deleteEniCall, findEnisByTags } from '../aws/enis';
import { detachAndWait, type DetachResult } from '../aws/eniRelease';
import { TAG_CLUSTER, TAG_NODE, TAG_NODE_ENI } from '../domain/tags';
import { describeInstance } from '../aws/instances';
import { ensureInstanceHopLimit, type HopLimitResult } from '../aws/hopLimit';
import {
  attachAndSettle,
  DeviceIndexConflictError,
  EniAttachedElsewhereError,
  ensurePlannedEni,
  planNodeEnis,
  type NodeEniPlan,
  type PlanRequest,
  type AttachResult,
  type EnsuredEni,
} from '../aws/eniOnboarding';
import { ReferenceNotFoundError } from '../aws/subnets';
import { cachedResolver, type ReferenceResolver } from '../aws/referenceCache';
import { ec2Call, nonRetryable, retryable } from './failures';
import type { NodeStatusReport, StatusPublisher } from './status';

export interface CentralDeps {
  /** One EC2 client per region (the node tells the workflow its region). */
  ec2For(region: string): EC2Client;
  statusPublisher: StatusPublisher;
  /** Subnet and security-group lookups; shared across nodes with a short cache by default. */
  references?: ReferenceResolver;
}

interface Where {
  instanceId: string;
  region: string;
}

function heartbeat(detail: string): void {
  Context.current().heartbeat(detail);
}

export function createCentralActivities(deps: CentralDeps) {
  const references = deps.references ?? cachedResolver();
  return {
    async verifyImds(where: Where): Promise<InstanceFacts> {
      const facts = await ec2Call('DescribeInstances', () => describeInstance(deps.ec2For(where.region), where.instanceId));
      log.info('instance metadata options', { instanceId: where.instanceId, ...facts.metadataOptions });
      return facts;
    },

    async ensureHopLimit(req: Where & { desired: number; autoConfigure: boolean; current?: MetadataOptions }): Promise<HopLimitResult> {
      return ec2Call('ModifyInstanceMetadataOptions', () =>
        ensureInstanceHopLimit(deps.ec2For(req.region), {
          instanceId: req.instanceId,
          desired: req.desired,
          autoConfigure: req.autoConfigure,
          current: req.current,
          log: (message, fields) => log.info(message, fields),
          onPoll: () => heartbeat('waiting for the metadata options to be applied'),
        }),
      );
    },

    async planEnis(req: PlanRequest & Where): Promise<NodeEniPlan> {
      try {
        return await ec2Call('plan ENIs', () => planNodeEnis(deps.ec2For(req.region), req, references));
      } catch (err) {
        if (err instanceof ReferenceNotFoundError) throw nonRetryable('ReferenceNotFound', err.message, err);
        if (err instanceof DeviceIndexExhaustedError) throw nonRetryable('DeviceIndexExhausted', err.message, err);
        throw err;
      }
    },

    /** `createAttempt` names this create for its ClientToken: the workflow run and its pass. */
    async ensureEni(req: { region: string; cluster: string; nodeName: string; plan: EniPlan; createAttempt: string }): Promise<EnsuredEni> {
      const retrying = Context.current().info.attempt > 1;
      const result = await ec2Call('CreateNetworkInterface', () =>
        ensurePlannedEni(deps.ec2For(req.region), req.plan, { cluster: req.cluster, nodeName: req.nodeName, retrying, createAttempt: req.createAttempt }),
      );
      log.info(result.origin === 'created' ? 'created ENI' : 'adopted ENI', { eniId: result.eni.eniId, subnetId: req.plan.subnetId, nodeName: req.nodeName });
      return result;
    },

    async attachEni(req: Where & { eniId: string; deviceIndex: number; deleteOnTermination: boolean; knownAttachment?: EniFacts['attachment'] }): Promise<AttachResult> {
      const ctx = Context.current();
      try {
        const result = await ec2Call('AttachNetworkInterface', () =>
          attachAndSettle(deps.ec2For(req.region), {
            ...req,
            checkFirst: ctx.info.attempt > 1,
            heartbeat,
            sleep: (ms) => ctx.sleep(ms),
          }),
        );
        log.info('attached ENI', { eniId: req.eniId, instanceId: req.instanceId, deviceIndex: result.deviceIndex });
        return result;
      } catch (err) {
        if (err instanceof DeviceIndexConflictError) throw nonRetryable('DeviceIndexConflict', err.message, err);
        if (err instanceof EniAttachedElsewhereError) throw nonRetryable('EniAttachedElsewhere', err.message, err);
        throw err;
      }
    },

    /** The ENIs eniflow owns for a node (optionally of some NodeENIs only), found by their tags. */
    async listNodeEnis(req: { region: string; cluster: string; nodeName: string; nodeEniNames?: string[] }): Promise<EniFacts[]> {
      const owned = await ec2Call('DescribeNetworkInterfaces', () =>
        findEnisByTags(deps.ec2For(req.region), { [TAG_CLUSTER]: req.cluster, [TAG_NODE]: req.nodeName }),
      );
      return req.nodeEniNames ? owned.filter((eni) => req.nodeEniNames!.includes(eni.tags[TAG_NODE_ENI])) : owned;
    },

    /**
     * Cleanup never gives up: every failure is retryable here (the UI shows the last one), because
     * an ENI left attached or undeleted is exactly the leak eniflow exists to prevent.
     */
    async detachEni(req: { region: string; eniId: string; forceAfterMs: number; startedAt: number }): Promise<DetachResult> {
      const ctx = Context.current();
      const result = await cleanupCall('DetachNetworkInterface', () =>
        detachAndWait(deps.ec2For(req.region), { ...req, heartbeat, sleep: (ms) => ctx.sleep(ms) }),
      );
      log.info('detached ENI', { ...result });
      return result;
    },

    /** Deletes an ENI (compensation or cleanup); an ENI already gone counts as deleted. */
    async deleteEni(req: { region: string; eniId: string }): Promise<void> {
      await cleanupCall('DeleteNetworkInterface', () => deleteEniCall(deps.ec2For(req.region), req.eniId));
      log.info('deleted ENI', { eniId: req.eniId });
    },

    async publishStatus(report: NodeStatusReport): Promise<void> {
      try {
        await deps.statusPublisher.publish(report);
      } catch (err) {
        throw ApplicationFailure.create({ type: 'StatusPublishFailed', message: `publishing status failed: ${(err as Error).message}` });
      }
    },
  };
}

async function cleanupCall<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await ec2Call(operation, run);
  } catch (err) {
    throw err instanceof ApplicationFailure && err.nonRetryable ? retryable(err) : err;
  }
}

export type CentralActivities = ReturnType<typeof createCentralActivities>;
