// Step 4 of onboarding: plan, adopt or create, attach (re-planning on a device-index conflict),
// compensate what this run created and could not attach, and release what no plan wants.
import { ApplicationFailure, CancellationScope, log } from '@temporalio/workflow';
import type { EniPlan, InstanceFacts } from '../domain/types';
import { central, centralWaits } from './activities';
import type { OnboardInput, OnboardProgress } from './definitions';
import { failureType } from './failures';
import { releaseEnis } from './release';

export async function ensureEnis(
  input: OnboardInput,
  where: { instanceId: string; region: string },
  facts: InstanceFacts,
  progress: OnboardProgress,
  createAttempt: string,
): Promise<void> {
  const { vpcId, availabilityZone } = facts;
  const attached = facts.networkInterfaces.filter((n) => n.attachment).map((n) => ({ eniId: n.eniId, deviceIndex: n.attachment!.deviceIndex }));
  const planRequest = { ...where, vpcId, availabilityZone, cluster: input.cluster, nodeName: input.nodeName, policies: input.policies };
  const planned = await central.planEnis({ ...planRequest, attached });
  let plans: EniPlan[] = planned.plans;
  progress.warnings.push(...planned.skipped);
  if (plans.length === 0) {
    throw ApplicationFailure.create({ type: 'NoUsableSubnet', nonRetryable: true, message: `no NodeENI subnet is in the node's availability zone ${availabilityZone}: ${planned.skipped.join('; ')}` });
  }
  progress.enis = plans.map((p) => ({ nodeEniName: p.nodeEniName, subnetId: p.subnetId, subnetCidr: p.subnetCidr, deviceIndex: p.deviceIndex, status: 'planned' }));

  for (let i = 0; i < plans.length; i++) {
    const plan = plans[i];
    const record = progress.enis[i];
    const ensured = await central.ensureEni({ region: where.region, cluster: input.cluster, nodeName: input.nodeName, plan, createAttempt });
    record.eniId = ensured.eni.eniId;
    record.mac = ensured.eni.mac;
    record.privateIpAddress = ensured.eni.privateIpAddress;
    record.status = ensured.origin;
    try {
      let attached;
      for (let replans = 0; ; replans++) {
        try {
          attached = await centralWaits.attachEni({
            ...where,
            eniId: ensured.eni.eniId,
            deviceIndex: record.deviceIndex,
            deleteOnTermination: plan.deleteOnTermination,
            knownAttachment: replans === 0 ? ensured.eni.attachment : undefined,
          });
          break;
        } catch (err) {
          // Another ENI took the planned index meanwhile: plan again from what the instance has now.
          if (failureType(err) !== 'DeviceIndexConflict' || replans >= 3) throw err;
          plans = (await central.planEnis(planRequest)).plans;
          record.deviceIndex = plans[i].deviceIndex;
          log.info('device index conflict; re-planned', { eniId: ensured.eni.eniId, deviceIndex: record.deviceIndex });
        }
      }
      record.attachmentId = attached.attachmentId;
      record.deviceIndex = attached.deviceIndex;
      record.status = 'attached';
    } catch (err) {
      record.status = 'failed';
      // Saga: an ENI this run created and could not attach is deleted, so nothing is left orphaned.
      if (ensured.origin === 'created') {
        await CancellationScope.nonCancellable(() => central.deleteEni({ region: where.region, eniId: ensured.eni.eniId }));
        progress.warnings.push(`deleted ${ensured.eni.eniId}, which this run created but could not attach`);
      }
      throw err;
    }
  }

  // ENIs of these NodeENIs that no plan wants any more (a subnet was removed from the spec).
  if (planned.stale.length > 0) {
    progress.warnings.push(...(await releaseEnis(planned.stale, {
      nodeName: input.nodeName,
      region: where.region,
      forceDetachAfterSeconds: 15,
      now: () => Date.now(),
    })));
    progress.released = [...(progress.released ?? []), ...planned.stale.map((e) => e.eniId)];
  }
}
