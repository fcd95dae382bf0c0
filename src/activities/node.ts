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
    /** Instance identity: EC2_INSTANCE_ID, else IMDS (IMDSv2 first), else the node's providerID. */
    async detectInstance(req: { providerID?: string }): Promise<InstanceIdentity> {
      const fromProvider = req.providerID ? parseProviderId(req.providerID) : undefined;
      try {
        const answer = await deps.imds.identity();
        const identity = answer.value;
        if (deps.imdsConfig.instanceId && deps.imdsConfig.instanceId !== identity.instanceId) {
          log.warn('EC2_INSTANCE_ID differs from IMDS; using EC2_INSTANCE_ID', { env: deps.imdsConfig.instanceId, imds: identity.instanceId });
          return { ...identity, instanceId: deps.imdsConfig.instanceId, source: 'env' };
        }
        log.info('detected instance through IMDS', { instanceId: identity.instanceId, imdsVersion: answer.imdsVersion, node: deps.nodeName });
        return identity;
      } catch (err) {
        const cause = (err as Error).message;
        if (deps.imdsConfig.instanceId && fromProvider) return { ...fromProvider, instanceId: deps.imdsConfig.instanceId, macs: [], source: 'env' };
        if (fromProvider) {
          log.warn('IMDS unavailable; using the node providerID', { cause });
          return { ...fromProvider, macs: [], source: 'providerID' };
        }
        if (deps.imdsConfig.instanceId) {
          throw nonRetryable('RegionUnknown', `EC2_INSTANCE_ID=${deps.imdsConfig.instanceId} is set but IMDS could not be read (${cause}) and the node has no providerID to tell its region; set AWS_REGION on the node agent or let it reach IMDS.`);
        }
        throw nonRetryable('InstanceIdUnknown', `${instanceIdUnknownWarning()} (IMDS: ${cause})`, err);
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
    async releaseInterface(req: { mac: string }): Promise<void> {
      await deconfigureInterface(deps.links, req.mac);
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
