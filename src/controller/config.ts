// The controller's configuration, parsed once at the edge with zod. A bad value fails at start with
// the variable's name and what it accepts.
import { z } from 'zod';
import { healthPortSchema } from '../config/processEnv';

export class ControllerConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`${variable}: ${detail}`);
    this.name = 'ControllerConfigError';
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as the original's RECONCILE_PERIOD uses them: 5m, 30s, 1h30m, 500ms. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) total += Number(amount) * UNIT_MS[unit];
  return total;
}

const duration = (fallbackMs: number, minMs: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallbackMs;
      const ms = parseDuration(v);
      if (ms === undefined || ms < minMs) {
        ctx.addIssue({ code: 'custom', message: `must be a duration of at least ${minMs} ms such as 30s, 5m or 1h30m, got "${v}"` });
        return z.NEVER;
      }
      return ms;
    });

const flag = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const t = v.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(t)) return true;
      if (['false', '0', 'no'].includes(t)) return false;
      ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
      return z.NEVER;
    });

const dns1123 = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const controllerSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  CLUSTER_NAME: z.string().min(1).max(63).default('eniflow'),
  /**
   * Periodic full resync that repairs drift. Events already drive every change, so this only catches
   * what happened outside Kubernetes (an ENI detached by hand); each resync costs every matching node
   * one reconcile pass (~7 EC2 describes). Hence 30m, not the original's 5m of full reconciles.
   */
  RECONCILE_PERIOD: duration(30 * 60_000, 1000),
  HEALTH_PORT: healthPortSchema,
  /** Where the leader-election Lease lives. */
  POD_NAMESPACE: z.string().regex(dns1123, 'must be a Kubernetes namespace name').default('eniflow-system'),
  POD_NAME: z.string().min(1).optional(),
  HOSTNAME: z.string().min(1).optional(),
  KUBECONFIG: z.string().min(1).optional(),
  LEASE_NAME: z.string().regex(dns1123, 'must be a Kubernetes object name').default('eniflow-controller'),
  LEASE_DURATION: duration(15_000, 1000),
  /** Taint matching nodes that have no ENIs yet with eniflow.io/network-unavailable:NoSchedule (the workflow removes it). */
  STARTUP_TAINT: flag(false),
  /** Region for offboarding a deleted node whose providerID the controller never saw (after a restart). */
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1').optional(),
});

export interface ControllerConfig {
  healthPort: number;
  temporalAddress: string;
  temporalNamespace: string;
  cluster: string;
  reconcilePeriodMs: number;
  leaseNamespace: string;
  leaseName: string;
  leaseDurationMs: number;
  identity: string;
  kubeconfig?: string;
  startupTaint: boolean;
  fallbackRegion?: string;
}

export function loadControllerConfig(env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  const result = controllerSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = String(issue.path[0] ?? 'environment');
    throw new ControllerConfigError(variable, `${issue.message}${env[variable] === undefined ? ' (it is not set)' : ''}`);
  }
  const e = result.data;
  return {
    temporalAddress: e.TEMPORAL_ADDRESS,
    temporalNamespace: e.TEMPORAL_NAMESPACE,
    cluster: e.CLUSTER_NAME,
    reconcilePeriodMs: e.RECONCILE_PERIOD,
    healthPort: e.HEALTH_PORT,
    leaseNamespace: e.POD_NAMESPACE,
    leaseName: e.LEASE_NAME,
    leaseDurationMs: e.LEASE_DURATION,
    // Unique per replica: two controllers with one identity would both think they lead.
    identity: e.POD_NAME ?? e.HOSTNAME ?? `eniflow-controller-${process.pid}`,
    kubeconfig: e.KUBECONFIG,
    startupTaint: e.STARTUP_TAINT,
    fallbackRegion: e.AWS_REGION,
  };
}
