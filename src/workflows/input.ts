// Validates the workflow input inside the workflow, so a bad start fails fast and non-retryably
// with a message that names the field (zod is deterministic and safe in the workflow sandbox).
import { z } from 'zod';
import { nodeEniSpecSchema } from '../config/nodeEni';
import type { OnboardInput } from './definitions';

const dns1123 = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const onboardInputSchema = z.object({
  nodeName: z.string().regex(dns1123, 'must be a Kubernetes node name (lower-case DNS-1123)'),
  cluster: z.string().min(1, 'must not be empty').max(63),
  providerID: z.string().optional(),
  policies: z
    .array(
      z.object({
        name: z.string().regex(dns1123, 'must be a Kubernetes object name'),
        spec: nodeEniSpecSchema,
      }),
    )
    .min(1, 'must name at least one NodeENI whose selector matches the node'),
  imds: z.object({ autoConfigure: z.boolean(), hopLimit: z.number().int().min(1).max(64) }),
});

export type InputProblem = { field: string; message: string };

export function validateOnboardInput(raw: unknown): { ok: true; input: OnboardInput } | { ok: false; problem: InputProblem } {
  const result = onboardInputSchema.safeParse(raw);
  if (result.success) return { ok: true, input: result.data };
  const issue = result.error.issues[0];
  return { ok: false, problem: { field: issue.path.join('.') || '(input)', message: issue.message } };
}
