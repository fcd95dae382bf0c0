// Node-local activities, run by the node agent on `eniflow-node-<nodeName>`: IMDS reads and Linux
// interface configuration on the agent's own node.
import { Context, log } from '@temporalio/activity';
import type { ImdsConfig } from '../config/imdsEnv';
import type { ImdsClient } from '../aws/imds';
import type { InstanceIdentity, InterfaceReport } from '../domain/types';
import { parseProviderId } from '../domain/providerId';
import { configureInterface as configureLink, deconfigureInterface } from '../linux/configure';
import type { LinkBackend } from '../linux/links';
import { instanceIdUnknownWarning } from '../aws/imdsMessages';
import { nonRetryable } from './failures';

export interface NodeDeps {
  nodeName: string;
  imds: ImdsClient;
  imdsConfig: ImdsConfig;
  links: LinkBackend;
  /** AWS_REGION: the region when only EC2_INSTANCE_ID is known (IMDS disabled, no providerID); default process.env. */
  awsRegion?: string;
}

export interface ConfigureRequest {
  mac: string;
  mtu: number;
  addressing: 'none' | 'primary';
  primaryIpCidr?: string;
  /** MACs eniflow must never touch (the primary interface, device-number 0). */
  protectedMacs: string[];
  /** The device index the ENI was attached at; cross-checked with IMDS device-number. */
  expectedDeviceNumber?: number;
  timeoutMs?: number;
}

export function createNodeActivities(deps: NodeDeps) {
  return {
    /**
     * Instance identity, in the seed's order: EC2_INSTANCE_ID, else IMDS (IMDSv2 first), else the
     * node's providerID. With EC2_INSTANCE_ID, IMDS (when enabled) still supplies region, AZ and MACs;
     * without IMDS the region comes from the providerID or AWS_REGION.
     */
    async detectInstance(req: { providerID?: string }): Promise<InstanceIdentity> {
      const fromProvider = req.providerID ? parseProviderId(req.providerID) : undefined;
      const envId = deps.imdsConfig.instanceId;
      const region = deps.awsRegion ?? process.env.AWS_REGION;
      const fromEnv = (why: string): InstanceIdentity | undefined => {
        if (!envId) return undefined;
        const where = fromProvider ?? (region ? { region, availabilityZone: '' } : undefined);
        if (!where) return undefined;
        log.info('using EC2_INSTANCE_ID', { instanceId: envId, region: where.region, why, node: deps.nodeName });
        return { instanceId: envId, region: where.region, availabilityZone: where.availabilityZone, macs: [], source: 'env' };
      };
      if (deps.imdsConfig.disabled) {
        // The seed's AWS_EC2_METADATA_DISABLED: no request to IMDS at all.
        const identity = fromEnv('IMDS is disabled (AWS_EC2_METADATA_DISABLED=true)');
        if (identity) return identity;
      }
      try {
        const answer = await deps.imds.identity();
        const identity = answer.value;
        if (envId && envId !== identity.instanceId) {
          log.warn('EC2_INSTANCE_ID differs from IMDS; using EC2_INSTANCE_ID', { env: envId, imds: identity.instanceId });
          return { ...identity, instanceId: envId, source: 'env' };
        }
        log.info('detected instance through IMDS', { instanceId: identity.instanceId, imdsVersion: answer.imdsVersion, node: deps.nodeName });
        return identity;
      } catch (err) {
        const cause = (err as Error).message;
        const identity = fromEnv(`IMDS could not be read: ${cause}`);
        if (identity) return identity;
        if (fromProvider) {
          log.warn('IMDS unavailable; using the node providerID', { cause });
          return { ...fromProvider, macs: [], source: 'providerID' };
        }
        if (envId) {
          throw nonRetryable(
            'RegionUnknown',
            `EC2_INSTANCE_ID=${envId} is set but IMDS could not be read (${cause}) and neither the node's providerID nor AWS_REGION tells its region; set AWS_REGION on the node agent or let it reach IMDS.`,
          );
        }
        const reason = deps.imdsConfig.disabled ? 'IMDS is disabled by AWS_EC2_METADATA_DISABLED=true, EC2_INSTANCE_ID is not set and the node has no providerID' : undefined;
        log.warn(instanceIdUnknownWarning({ reason }), { node: deps.nodeName });
        throw nonRetryable('InstanceIdUnknown', `${instanceIdUnknownWarning({ reason })} (IMDS: ${cause})`, err);
      }
    },

    async configureInterface(req: ConfigureRequest): Promise<InterfaceReport> {
      const ctx = Context.current();
      if (req.expectedDeviceNumber !== undefined) await crossCheckDeviceNumber(deps.imds, req.mac, req.expectedDeviceNumber);
      try {
        const report = await configureLink(deps.links, {
          mac: req.mac,
          mtu: req.mtu,
          addressing: req.addressing,
          primaryIpCidr: req.primaryIpCidr,
          protectedMacs: req.protectedMacs,
          timeoutMs: req.timeoutMs ?? 120_000,
          signal: ctx.cancellationSignal,
          onWaiting: () => ctx.heartbeat(`waiting for an interface with MAC ${req.mac}`),
        });
        log.info(report.changed ? 'configured interface' : 'interface already configured; nothing changed', {
          mac: report.mac,
          name: report.name,
          before: report.before,
          after: report.after,
        });
        return report;
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'InvalidMtuError') throw nonRetryable('InvalidMtu', (err as Error).message, err);
        if (name === 'InvalidInterfaceRequestError') throw nonRetryable('InvalidInterfaceRequest', (err as Error).message, err);
        if (name === 'ProtectedInterfaceError') throw nonRetryable('ProtectedInterface', (err as Error).message, err);
        throw err;
      }
    },

    /** Before an ENI is detached: take its interface down so traffic stops cleanly. */
    async releaseInterface(req: { mac: string; protectedMacs?: string[] }): Promise<void> {
      try {
        await deconfigureInterface(deps.links, req.mac, { protectedMacs: req.protectedMacs });
      } catch (err) {
        if ((err as Error).name === 'ProtectedInterfaceError') throw nonRetryable('ProtectedInterface', (err as Error).message, err);
        throw err;
      }
    },
  };
}

/** IMDS tells which device-number the hypervisor gave the MAC; a mismatch means a wrong match. */
async function crossCheckDeviceNumber(imds: ImdsClient, mac: string, expected: number): Promise<void> {
  try {
    const answer = await imds.get(`/latest/meta-data/network/interfaces/macs/${mac.toLowerCase()}/device-number`);
    const actual = Number(answer.value);
    if (Number.isInteger(actual) && actual !== expected) {
      log.warn('IMDS device-number differs from the planned device index', { mac, expected, actual });
    }
  } catch (err) {
    // IMDS may lag the attachment by a moment; the MAC match alone is authoritative.
    log.debug('IMDS device-number not available yet', { mac, error: (err as Error).message });
  }
}

export type NodeActivities = ReturnType<typeof createNodeActivities>;
