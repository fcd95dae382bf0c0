// The NodeENI CRD comes from the zod schemas: structural, with the defaults, and the committed
// deploy/ file matches what the generator writes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MAX_MTU, nodeEniSpecSchema } from '../../src/config/nodeEni';
import { buildNodeEniCrd, nodeEniPrinterColumns } from '../../src/k8s/crd';
import { nodeEniSpecCelRules, UnsupportedSchemaError, zodToStructuralSchema, type JsonSchemaProps } from '../../src/k8s/crdSchema';
import { CRD_FILE, renderNodeEniCrdYaml } from '../../src/k8s/genCrd';
import { nodeEniStatusSchema } from '../../src/k8s/nodeEniStatus';

const root = path.resolve(__dirname, '..', '..');
const crd = buildNodeEniCrd();
const version = crd.spec.versions[0];
const schema = version.schema.openAPIV3Schema;
const spec = schema.properties?.spec as JsonSchemaProps;
const status = schema.properties?.status as JsonSchemaProps;

/** Every node of a schema with its path. */
function* walk(node: JsonSchemaProps, at = ''): Generator<[string, JsonSchemaProps]> {
  yield [at, node];
  for (const [name, child] of Object.entries(node.properties ?? {})) yield* walk(child, `${at}.${name}`);
  if (node.items) yield* walk(node.items, `${at}[]`);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') yield* walk(node.additionalProperties, `${at}[*]`);
}

describe('NodeENI CRD', () => {
  test('the committed deploy/crd file is exactly what the generator writes (run npm run gen-crd)', () => {
    const committed = readFileSync(path.join(root, CRD_FILE), 'utf8');
    expect(committed).toBe(renderNodeEniCrdYaml());
  });

  test('names, scope, version and status subresource match the original controller', () => {
    expect(crd.metadata.name).toBe('nodeenis.networking.k8s.aws');
    expect(crd.spec.group).toBe('networking.k8s.aws');
    expect(crd.spec.scope).toBe('Cluster');
    expect(crd.spec.names).toMatchObject({ kind: 'NodeENI', plural: 'nodeenis', singular: 'nodeeni', shortNames: ['neni'] });
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
  });

  test('the schema is structural: a type everywhere, no generator leftovers, maps typed', () => {
    const forbidden = ['$schema', '$ref', '$defs', 'propertyNames', 'anyOf', 'oneOf', 'allOf', 'const', 'definitions'];
    for (const [at, node] of walk(schema)) {
      expect({ at, type: node.type }).toEqual({ at, type: expect.any(String) });
      for (const key of forbidden) expect({ at, key, present: key in node }).toEqual({ at, key, present: false });
      if (node.properties) expect({ at, additionalProperties: node.additionalProperties }).toEqual({ at, additionalProperties: undefined });
    }
    expect(spec.properties?.nodeSelector).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    expect(spec.properties?.tags).toMatchObject({ type: 'object', additionalProperties: { type: 'string' }, default: {} });
  });

  test('every spec field of the zod schema is in the CRD, with zod defaults as API-server defaults', () => {
    const zodFields = Object.keys(nodeEniSpecSchema.def.shape ?? {});
    expect(zodFields.length).toBeGreaterThan(10);
    expect(Object.keys(spec.properties ?? {}).sort()).toEqual([...zodFields].sort());
    // The defaults the API server must apply, taken from zod itself rather than restated.
    const zodDefaults = nodeEniSpecSchema.parse({ nodeSelector: {}, subnetID: 'subnet-0123456789abcdef0' });
    for (const field of ['deviceIndex', 'deleteOnTermination', 'mtu', 'dpdkDriver', 'addressing', 'enableDPDK', 'tags'] as const) {
      expect({ field, default: spec.properties?.[field]?.default }).toEqual({ field, default: zodDefaults[field] });
    }
    expect(zodDefaults).toMatchObject({ deviceIndex: 1, deleteOnTermination: true, mtu: 0, dpdkDriver: 'vfio-pci', addressing: 'none' });
    expect(spec.required).toEqual(['nodeSelector']);
    expect(schema.required).toEqual(['spec']);
  });

  test('bounds agree with zod: MTU 0..9001, deviceIndex 1..31, ID patterns', () => {
    expect(spec.properties?.mtu).toMatchObject({ type: 'integer', minimum: 0, maximum: MAX_MTU });
    expect(spec.properties?.deviceIndex).toMatchObject({ type: 'integer', minimum: 1, maximum: 31 });
    const subnetPattern = new RegExp(spec.properties?.subnetID?.pattern as string);
    expect(subnetPattern.test('subnet-0123456789abcdef0')).toBe(true);
    expect(subnetPattern.test('subnet-XYZ')).toBe(false);
    expect(spec.properties?.subnetIDs?.items?.pattern).toBe(spec.properties?.subnetID?.pattern);
    expect(spec.properties?.securityGroupIDs?.items?.pattern).toMatch(/^\^sg-/);
  });

  test('the CEL subnet rule names the same fields as the zod refinement', () => {
    const rule = nodeEniSpecCelRules[0];
    expect(spec['x-kubernetes-validations']).toEqual(nodeEniSpecCelRules);
    for (const field of ['subnetID', 'subnetIDs', 'subnetName', 'subnetNames']) {
      expect(rule.rule).toContain(`self.${field}`);
      expect(spec.properties?.[field]).toBeDefined();
    }
    // zod rejects exactly the subnet-less spec the rule rejects, with the same message.
    const result = nodeEniSpecSchema.safeParse({ nodeSelector: { a: 'b' }, subnetIDs: [] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe(rule.message);
  });

  test('status: the original attachments[] fields plus standard conditions', () => {
    const attachment = status.properties?.attachments?.items?.properties ?? {};
    for (const field of ['nodeID', 'instanceID', 'eniID', 'attachmentID', 'subnetID', 'subnetCIDR', 'mtu', 'deviceIndex', 'status', 'lastUpdated', 'dpdkBound', 'dpdkDriver', 'dpdkResourceName', 'dpdkPCIAddress']) {
      expect({ field, present: field in attachment }).toEqual({ field, present: true });
    }
    expect(attachment.lastUpdated).toEqual({ type: 'string', format: 'date-time' });
    const conditions = status.properties?.conditions as JsonSchemaProps;
    expect(conditions['x-kubernetes-list-type']).toBe('map');
    expect(conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(conditions.items?.required).toEqual(expect.arrayContaining(['type', 'status', 'reason', 'lastTransitionTime']));
    expect(conditions.items?.properties?.status.enum).toEqual(['True', 'False', 'Unknown']);

    // The TypeScript side accepts what the publisher writes and rejects a bad condition.
    const ok = nodeEniStatusSchema.safeParse({
      matchedNodes: 1,
      attachedENIs: 1,
      attachments: [{ nodeID: 'n1', eniID: 'eni-1', status: 'attached', lastUpdated: '2026-01-02T03:04:05Z' }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'AllAttached', lastTransitionTime: '2026-01-02T03:04:05Z' }],
    });
    expect(ok.success).toBe(true);
    expect(nodeEniStatusSchema.safeParse({ conditions: [{ type: 'Ready', status: 'Yes', reason: 'X', lastTransitionTime: '2026-01-02T03:04:05Z' }] }).success).toBe(false);
  });

  test('printer columns point at fields the schema has', () => {
    for (const column of nodeEniPrinterColumns) {
      if (column.jsonPath === '.metadata.creationTimestamp') continue;
      const [, top, field] = /^\.(spec|status)\.(\w+)/.exec(column.jsonPath) ?? [];
      const parent = top === 'spec' ? spec : status;
      expect({ column: column.name, found: Boolean(field && parent.properties?.[field]) }).toEqual({ column: column.name, found: true });
    }
  });
});

describe('zodToStructuralSchema', () => {
  test('turns z.literal into enum and keeps meta x-kubernetes keys', () => {
    const out = zodToStructuralSchema(z.object({ k: z.literal('x'), l: z.array(z.string()).meta({ 'x-kubernetes-list-type': 'set' }) }));
    expect(out.properties?.k).toEqual({ type: 'string', enum: ['x'] });
    expect(out.properties?.l['x-kubernetes-list-type']).toBe('set');
  });

  test('refuses what a structural schema cannot express', () => {
    expect(() => zodToStructuralSchema(z.object({ u: z.union([z.string(), z.number()]) }))).toThrow(UnsupportedSchemaError);
    expect(() => zodToStructuralSchema(z.object({ u: z.union([z.string(), z.number()]) }))).toThrow(/\.u: anyOf/);
    expect(() => zodToStructuralSchema(z.object({ m: z.record(z.string(), z.unknown()) }))).toThrow(/needs a type|typed value/);
  });
});
