// Configuration of eniflow's processes (central worker, node agent, controller, CLI), parsed once
// at the edge with zod. A bad value fails at start with the variable's name and what it accepts.
import { z } from 'zod';

export class EnvConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`${variable}: ${detail}`);
    this.name = 'EnvConfigError';
  }
}

const positiveNumber = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be a positive number, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

/** Health-check port: 8081 by default; 0 lets the OS pick one (several processes on one test machine). */
export const healthPortSchema = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return 8081;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      ctx.addIssue({ code: 'custom', message: `must be a TCP port (0-65535), got "${v}"` });
      return z.NEVER;
    }
    return n;
  });

const temporalSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** host:port for the worker's Prometheus metrics (/metrics); off when unset. */
  METRICS_ADDRESS: z
    .string()
    .regex(/^[^:\s]*:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:8080')
    .optional(),
});

const awsSchema = z.object({
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1').optional(),
  /** Endpoint override for EC2 (moto, a VPC endpoint, or a proxy). */
  EC2_ENDPOINT: z.url('must be an http(s) URL').optional(),
});

const centralSchema = temporalSchema.extend(awsSchema.shape).extend({
  CLUSTER_NAME: z.string().min(1).max(63).default('eniflow'),
  HEALTH_PORT: healthPortSchema,
  /**
   * Central activities per second across all central workers (the task queue's server-side limit).
   * An activity makes 1 to 5 EC2 calls (3 on average while onboarding), so 20 keeps a fleet of joins
   * near 60 EC2 calls per second, inside EC2's default request token buckets.
   */
  EC2_RATE_LIMIT: positiveNumber(20),
});

const agentSchema = temporalSchema.extend({
  NODE_NAME: z.string({ error: 'is required: set it from the downward API (fieldRef spec.nodeName)' }).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be the Kubernetes node name (set it from the downward API: spec.nodeName)'),
  /** Dev/test only: configure interfaces inside this network namespace instead of the agent's own. */
  ENIFLOW_NETNS: z.string().optional(),
  HEALTH_PORT: healthPortSchema,
});

function parse<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = String(issue.path[0] ?? 'environment');
  const got = env[variable];
  throw new EnvConfigError(variable, `${issue.message}${got === undefined ? ' (it is not set)' : ''}`);
}

export type TemporalEnv = z.output<typeof temporalSchema>;
export type CentralEnv = z.output<typeof centralSchema>;
export type AgentEnv = z.output<typeof agentSchema>;

export const loadTemporalEnv = (env: NodeJS.ProcessEnv = process.env): TemporalEnv => parse(temporalSchema, env);
export const loadCentralEnv = (env: NodeJS.ProcessEnv = process.env): CentralEnv => parse(centralSchema, env);
export const loadAgentEnv = (env: NodeJS.ProcessEnv = process.env): AgentEnv => parse(agentSchema, env);
