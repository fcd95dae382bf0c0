// The NodeENI resource (networking.k8s.aws/v1alpha1), compatible with the original controller so
// users can migrate. This zod schema is the single source of validation, TypeScript types and the
// CRD's OpenAPI schema.
import { z } from 'zod';

const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must look like subnet-0123456789abcdef0');
const securityGroupId = z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must look like sg-0123456789abcdef0');

export const MAX_MTU = 9001; // AWS jumbo frames

export const nodeEniSpecSchema = z
  .object({
    nodeSelector: z.record(z.string(), z.string()).describe('Equality match on node labels'),
    subnetID: subnetId.optional(),
    subnetIDs: z.array(subnetId).optional(),
    subnetName: z.string().min(1).optional(),
    subnetNames: z.array(z.string().min(1)).optional(),
    securityGroupIDs: z.array(securityGroupId).optional(),
    securityGroupNames: z.array(z.string().min(1)).optional(),
    deviceIndex: z.number().int().min(1).max(31).default(1),
    deleteOnTermination: z.boolean().default(true),
    description: z.string().max(255).optional(),
    mtu: z.number().int().min(0).max(MAX_MTU).default(0).describe('0 leaves the interface MTU alone'),
    addressing: z.enum(['none', 'primary']).default('none').describe('primary: put the ENI primary IPv4 on the interface'),
    enableDPDK: z.boolean().default(false),
    dpdkDriver: z.string().default('vfio-pci'),
    dpdkResourceName: z.string().optional(),
    dpdkPCIAddress: z.string().optional(),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .refine(
    (spec) => Boolean(spec.subnetID || spec.subnetIDs?.length || spec.subnetName || spec.subnetNames?.length),
    { message: 'at least one of subnetID, subnetIDs, subnetName or subnetNames is required', path: ['subnetID'] },
  );

export type NodeEniSpecInput = z.input<typeof nodeEniSpecSchema>;
export type NodeEniSpec = z.output<typeof nodeEniSpecSchema>;

/** A NodeENI as the workflow needs it: its name and its validated spec. */
export interface NodeEniPolicy {
  name: string;
  spec: NodeEniSpec;
}

export class InvalidNodeEniError extends Error {
  constructor(
    readonly nodeEniName: string,
    readonly field: string,
    detail: string,
  ) {
    super(`NodeENI ${nodeEniName}: spec.${field} ${detail}`);
    this.name = 'InvalidNodeEniError';
  }
}

/** Validates a NodeENI spec; the error names the first bad field and what is wrong with it. */
export function parseNodeEniSpec(name: string, raw: unknown): NodeEniSpec {
  const result = nodeEniSpecSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.join('.') || '(root)';
  throw new InvalidNodeEniError(name, field, `is invalid: ${issue.message}`);
}

/** All subnet IDs and names a spec names, combined and de-duplicated in declaration order. */
export function subnetRefs(spec: NodeEniSpec): { ids: string[]; names: string[] } {
  const ids = [...new Set([spec.subnetID, ...(spec.subnetIDs ?? [])].filter((s): s is string => Boolean(s)))];
  const names = [...new Set([spec.subnetName, ...(spec.subnetNames ?? [])].filter((s): s is string => Boolean(s)))];
  return { ids, names };
}

/** The original's default description, kept for compatibility. */
export function defaultDescription(nodeName: string): string {
  return `ENI created by nodeeni-controller for node ${nodeName}`;
}

/** Whether a node's labels satisfy a NodeENI's equality selector. */
export function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
