// zod → Kubernetes structural OpenAPI v3 schema. The CRD's validation comes from the same zod
// schemas the code uses, so the API server and eniflow can never disagree about what is valid.
// Pure logic (no @kubernetes/client-node), so jest can test it.
import { z } from 'zod';
import { nodeEniSpecSchema } from '../config/nodeEni';
import { nodeEniStatusSchema } from './nodeEniStatus';

/** A JSONSchemaProps as it appears in a CRD's openAPIV3Schema (the wire names, not client-node's). */
export interface JsonSchemaProps {
  type?: string;
  format?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchemaProps>;
  additionalProperties?: JsonSchemaProps | boolean;
  items?: JsonSchemaProps;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  'x-kubernetes-validations'?: CelRule[];
  [keyword: string]: unknown;
}

export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export class UnsupportedSchemaError extends Error {
  constructor(path: string, detail: string) {
    super(`schema at ${path || '(root)'}: ${detail}`);
    this.name = 'UnsupportedSchemaError';
  }
}

// Keywords a structural schema may carry (apiextensions.k8s.io/v1 JSONSchemaProps). Anything else
// fails generation, so a new zod feature surfaces here instead of as a CRD the API server rejects.
const ALLOWED = new Set([
  'type', 'format', 'title', 'description', 'default', 'example', 'nullable',
  'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'multipleOf',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems',
  'maxProperties', 'minProperties', 'required', 'enum', 'items', 'properties', 'additionalProperties',
  'allOf', 'oneOf', 'anyOf', 'not',
]);
// Generator noise that means nothing to Kubernetes (or is not allowed there).
const DROPPED = new Set(['$schema', '$id', 'id', 'propertyNames', '$comment']);

/** Converts a zod schema to a structural schema; defaults stay as `default:` for the API server to apply. */
export function zodToStructuralSchema(schema: z.ZodType): JsonSchemaProps {
  const raw = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    // The input side: optional-with-default fields are not required, and their defaults show.
    io: 'input',
    // Structural schemas have no $ref: inline everything, and fail on recursion.
    reused: 'inline',
    cycles: 'throw',
    unrepresentable: 'throw',
  });
  return sanitize(raw as Record<string, unknown>, '');
}

function sanitize(node: Record<string, unknown>, path: string): JsonSchemaProps {
  const out: JsonSchemaProps = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key)) continue;
    if (key.startsWith('x-kubernetes-')) {
      out[key] = value;
      continue;
    }
    if (key === 'const') {
      out.enum = [value];
      continue;
    }
    if (key === 'anyOf' || key === 'oneOf' || key === 'allOf' || key === 'not') {
      // Structural schemas forbid types inside these; zod only emits them for unions and
      // intersections, which the NodeENI schemas avoid. Say so instead of emitting a broken CRD.
      throw new UnsupportedSchemaError(path, `${key} (a zod union/intersection) cannot be expressed as a structural schema`);
    }
    if (!ALLOWED.has(key)) throw new UnsupportedSchemaError(path, `keyword "${key}" is not allowed in a Kubernetes structural schema`);
    out[key] = value;
  }

  if (out.properties) {
    const props: Record<string, JsonSchemaProps> = {};
    for (const [name, child] of Object.entries(out.properties)) props[name] = sanitize(child as Record<string, unknown>, `${path}.${name}`);
    out.properties = props;
    // Kubernetes prunes unknown fields itself; additionalProperties next to properties is forbidden.
    delete out.additionalProperties;
  } else if (out.additionalProperties !== undefined) {
    // A record: its values need a schema (false/true/{} are not structural for a map).
    const ap = out.additionalProperties;
    if (typeof ap !== 'object' || Object.keys(ap).length === 0) {
      throw new UnsupportedSchemaError(path, 'a map needs a typed value schema (z.record(z.string(), z.string()))');
    }
    out.additionalProperties = sanitize(ap as Record<string, unknown>, `${path}[*]`);
  }
  if (out.items) {
    if (Array.isArray(out.items)) throw new UnsupportedSchemaError(path, 'tuples are not structural');
    out.items = sanitize(out.items as Record<string, unknown>, `${path}[]`);
  }
  if (out.required && (out.required as string[]).length === 0) delete out.required;

  // zod's date-time regex duplicates `format: date-time`, which the API server checks itself.
  if (out.format === 'date-time') delete out.pattern;
  // z.number().int() bounds itself to JavaScript's safe integers: noise in a CRD.
  if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;

  if (!out.type && !out['x-kubernetes-int-or-string'] && !out['x-kubernetes-preserve-unknown-fields']) {
    throw new UnsupportedSchemaError(path, 'every node of a structural schema needs a type');
  }
  return out;
}

/**
 * CEL rules for what zod checks with .refine() (refinements cannot be converted). Each rule mirrors
 * one refinement in src/config/nodeEni.ts; test/unit/crd-schema.test.ts keeps them in step.
 */
export const nodeEniSpecCelRules: CelRule[] = [
  {
    rule:
      "has(self.subnetID) || (has(self.subnetIDs) && size(self.subnetIDs) > 0) || has(self.subnetName) || (has(self.subnetNames) && size(self.subnetNames) > 0)",
    message: 'at least one of subnetID, subnetIDs, subnetName or subnetNames is required',
    fieldPath: '.subnetID',
    reason: 'FieldValueRequired',
  },
];

/** spec: the zod schema plus its CEL rules. */
export function nodeEniSpecOpenApi(): JsonSchemaProps {
  const spec = zodToStructuralSchema(nodeEniSpecSchema);
  return {
    ...spec,
    description: 'Which nodes get which extra ENIs (compatible with the original aws-multi-eni-controller).',
    'x-kubernetes-validations': nodeEniSpecCelRules,
  };
}

export function nodeEniStatusOpenApi(): JsonSchemaProps {
  return { ...zodToStructuralSchema(nodeEniStatusSchema), description: 'Written by eniflow through the status subresource.' };
}

/** The whole openAPIV3Schema of the NodeENI version. */
export function nodeEniOpenApiSchema(): JsonSchemaProps {
  return {
    type: 'object',
    description: 'NodeENI: extra Elastic Network Interfaces for the nodes its selector matches.',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: nodeEniSpecOpenApi(),
      status: nodeEniStatusOpenApi(),
    },
  };
}
