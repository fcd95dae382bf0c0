// onboardNode: the six steps that give one node its ENIs. Every step is an activity; node-local
// steps go to the node's own agent queue, EC2 steps to the central queue.
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { parseProviderId } from '../domain/providerId';
import { central, centralWaits, nodeActivities } from './activities';
import {
  desiredStateSignal,
  progressQuery,
  STEP_NAMES,
  type EniProgress,
  type OnboardInput,
  type OnboardProgress,
  type Phase,
  type StepName,
} from './definitions';
import { ensureEnis } from './ensureEnis';
import { failureMessage } from './failures';
import { validateOnboardInput } from './input';
import { INSTANCE_ID, NODE_NAME, PHASE } from './searchAttributes';

export interface OnboardResult {
  nodeName: string;
  instanceId: string;
  enis: EniProgress[];
  warnings: string[];
}

export async function onboardNode(rawInput: OnboardInput): Promise<OnboardResult> {
  const progress: OnboardProgress = {
    nodeName: typeof rawInput?.nodeName === 'string' ? rawInput.nodeName : '',
    phase: 'Pending',
    steps: freshSteps(),
    enis: [],
    interfaces: [],
    warnings: [],
    startedAt: new Date().toISOString(),
  };
  setHandler(progressQuery, () => progress);

  const validation = validateOnboardInput(rawInput);
  if (!validation.ok) {
    const { field, message } = validation.problem;
    progress.phase = 'Failed';
    progress.error = `invalid onboarding input: ${field} ${message}`;
    throw ApplicationFailure.create({ type: 'InvalidInput', message: progress.error, nonRetryable: true, details: [validation.problem] });
  }
  let desired = validation.input;
  let generation = 0;
  // Changes that arrive while a pass runs are applied by the next pass: nothing is lost, and a
  // node's history stays one short run per change instead of one endless workflow per node.
  setHandler(desiredStateSignal, (next) => {
    const checked = validateOnboardInput(next);
    if (!checked.ok) {
      progress.warnings.push(`ignored a desired-state change: ${checked.problem.field} ${checked.problem.message}`);
      return;
    }
    // signalWithStart delivers the start input as a signal too: the same state is no change.
    if (JSON.stringify(checked.input) === JSON.stringify(desired)) return;
    if (checked.input.nodeName !== desired.nodeName) {
      progress.warnings.push(`ignored a desired-state change for another node (${checked.input.nodeName})`);
      return;
    }
    desired = checked.input;
    generation++;
  });
  upsertSearchAttributes([{ key: NODE_NAME, value: desired.nodeName }]);

  for (let pass = 1; ; pass++) {
    const passGeneration = generation;
    const result = await onboardPass(desired, progress, pass);
    if (generation === passGeneration) return result;
    progress.steps = freshSteps();
    progress.warnings.push(`desired state changed during the pass; reconciling again (change ${generation})`);
  }
}

function freshSteps(): OnboardProgress['steps'] {
  return STEP_NAMES.map((name) => ({ name, status: 'pending' }));
}

async function onboardPass(input: OnboardInput, progress: OnboardProgress, pass: number): Promise<OnboardResult> {
  const setPhase = (phase: Phase, details: string) => {
    progress.phase = phase;
    upsertSearchAttributes([{ key: PHASE, value: phase }]);
    setCurrentDetails(`**${input.nodeName}** — ${phase}\n\n${details}`);
  };
  const step = async <T>(name: StepName, phase: Phase, run: () => Promise<T>, describe: (result: T) => string): Promise<T> => {
    const record = progress.steps.find((s) => s.name === name)!;
    record.status = 'running';
    record.startedAt = new Date().toISOString();
    setPhase(phase, `step ${STEP_NAMES.indexOf(name) + 1}/6: ${name}`);
    try {
      const result = await run();
      record.status = record.status === 'running' ? 'done' : record.status;
      record.detail = describe(result);
      return result;
    } catch (err) {
      record.status = 'failed';
      record.detail = failureMessage(err);
      throw err;
    } finally {
      record.endedAt = new Date().toISOString();
    }
  };
  progress.error = undefined;
  progress.finishedAt = undefined;

  try {
    // 1. detectInstance — on the node itself (IMDS, IMDSv2 first); fall back on the providerID.
    const nodeQuick = nodeActivities(input.nodeName, '2 minutes', 5);
    const identity = await step(
      'detectInstance',
      'DetectingInstance',
      async () => {
        try {
          return await nodeQuick.detectInstance({ providerID: input.providerID });
        } catch (err) {
          const fromProvider = input.providerID ? parseProviderId(input.providerID) : undefined;
          if (!fromProvider || isCancellation(err)) throw err;
          progress.warnings.push(`node agent could not detect the instance (${failureMessage(err)}); using the node's providerID`);
          return { ...fromProvider, macs: [], source: 'providerID' as const };
        }
      },
      (id) => `${id.instanceId} in ${id.availabilityZone} (from ${id.source})`,
    );
    progress.instanceId = identity.instanceId;
    progress.region = identity.region;
    progress.availabilityZone = identity.availabilityZone;
    progress.imdsSource = identity.source;
    upsertSearchAttributes([{ key: INSTANCE_ID, value: identity.instanceId }]);
    const where = { instanceId: identity.instanceId, region: identity.region };

    // 2. verifyImds — EC2's view of the instance, its metadata options and attached ENIs.
    const facts = await step('verifyImds', 'VerifyingImds', () => central.verifyImds(where), (f) =>
      `HttpTokens=${f.metadataOptions.httpTokens}, hop limit ${f.metadataOptions.httpPutResponseHopLimit}, endpoint ${f.metadataOptions.httpEndpoint}`,
    );
    progress.metadataOptions = facts.metadataOptions;

    // 3. ensureHopLimit — never fails onboarding: a failure becomes a warning with the seed's remedy.
    const hop = await step(
      'ensureHopLimit',
      'ConfiguringHopLimit',
      () => centralWaits.ensureHopLimit({ ...where, desired: input.imds.hopLimit, autoConfigure: input.imds.autoConfigure, current: facts.metadataOptions }),
      (r) => r.detail,
    );
    if (hop.warning) {
      progress.warnings.push(hop.warning);
      progress.steps.find((s) => s.name === 'ensureHopLimit')!.status = 'warning';
    }
    if (hop.after) progress.metadataOptions = hop.after;

    // 4. ensureEnis — adopt or create (ClientToken), attach at the planned index, DeleteOnTermination.
    await step('ensureEnis', 'EnsuringEnis', () => ensureEnis(input, where, facts, progress, `${workflowInfo().runId}/${pass}`), () =>
      progress.enis.map((e) => `${e.eniId}@${e.deviceIndex}`).join(', '),
    );

    // 5. configureInterfaces — on the node: find each ENI's interface by MAC, set MTU, bring it up.
    const nodeSlow = nodeActivities(input.nodeName, '10 minutes', 20);
    const protectedMacs = facts.networkInterfaces.filter((n) => n.attachment?.deviceIndex === 0).map((n) => n.mac);
    await step(
      'configureInterfaces',
      'ConfiguringInterfaces',
      async () => {
        const reports = await Promise.all(
          progress.enis.map(async (eni) => {
            const policy = input.policies.find((p) => p.name === eni.nodeEniName)!;
            const prefix = eni.subnetCidr?.split('/')[1];
            const report = await nodeSlow.configureInterface({
              mac: eni.mac!,
              mtu: policy.spec.mtu,
              addressing: policy.spec.addressing,
              primaryIpCidr: policy.spec.addressing === 'primary' && eni.privateIpAddress && prefix ? `${eni.privateIpAddress}/${prefix}` : undefined,
              protectedMacs,
              expectedDeviceNumber: eni.deviceIndex,
            });
            eni.status = 'configured';
            eni.interfaceName = report.name;
            eni.mtu = report.after.mtu;
            return report;
          }),
        );
        progress.interfaces = reports;
        return reports;
      },
      (reports) => reports.map((r) => `${r.name} (${r.mac}) mtu ${r.after.mtu}${r.changed ? '' : ', unchanged'}`).join('; '),
    );

    // 6. publishStatus — report where users look (standalone: the log; Kubernetes: NodeENI status).
    await step('publishStatus', 'PublishingStatus', () => central.publishStatus(statusReport(progress, 'Ready')), () => 'published');

    progress.phase = 'Ready';
    progress.finishedAt = new Date().toISOString();
    setPhase('Ready', progress.enis.map((e) => `${e.eniId} → ${e.interfaceName} (index ${e.deviceIndex}, mtu ${e.mtu})`).join('\n'));
    return { nodeName: input.nodeName, instanceId: identity.instanceId, enis: progress.enis, warnings: progress.warnings };
  } catch (err) {
    progress.phase = 'Failed';
    progress.error = failureMessage(err);
    progress.finishedAt = new Date().toISOString();
    setPhase('Failed', progress.error);
    if (!isCancellation(err)) {
      // Best effort: the failure is also visible where users look; the workflow fails either way.
      await CancellationScope.nonCancellable(() => central.publishStatus(statusReport(progress, 'Failed'))).catch((e) =>
        log.warn('could not publish failure status', { error: failureMessage(e) }),
      );
    }
    throw err;
  }
}

function statusReport(progress: OnboardProgress, phase: 'Ready' | 'Failed') {
  return {
    nodeName: progress.nodeName,
    instanceId: progress.instanceId,
    phase,
    enis: progress.enis,
    interfaces: progress.interfaces,
    warnings: progress.warnings,
    error: progress.error,
  };
}
