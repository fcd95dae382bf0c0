// The NodeENI CustomResourceDefinition, built from the zod schemas (see crdSchema.ts). The same
// names as the original controller, so existing NodeENI objects keep working after a migration.
// Pure data, no @kubernetes/client-node: jest tests and the generator both import it.
import { NODE_ENI_API_VERSION } from '../config/nodeEniManifest';
import { nodeEniOpenApiSchema, type JsonSchemaProps } from './crdSchema';

export const NODE_ENI_GROUP = 'networking.k8s.aws';
export const NODE_ENI_VERSION = 'v1alpha1';
export const NODE_ENI_KIND = 'NodeENI';
export const NODE_ENI_PLURAL = 'nodeenis';
export const NODE_ENI_CRD_NAME = `${NODE_ENI_PLURAL}.${NODE_ENI_GROUP}`;
/** Collection path of the cluster-scoped resource, for raw API calls. */
export const NODE_ENI_PATH = `/apis/${NODE_ENI_GROUP}/${NODE_ENI_VERSION}/${NODE_ENI_PLURAL}`;

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    scope: 'Cluster' | 'Namespaced';
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JsonSchemaProps };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }[];
  };
}

export const nodeEniPrinterColumns: PrinterColumn[] = [
  { name: 'Nodes', type: 'integer', jsonPath: '.status.matchedNodes', description: 'Nodes the selector matches' },
  { name: 'ENIs', type: 'integer', jsonPath: '.status.attachedENIs', description: 'ENIs attached' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
  { name: 'MTU', type: 'integer', jsonPath: '.spec.mtu', priority: 1 },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

export function buildNodeEniCrd(): CustomResourceDefinition {
  if (NODE_ENI_API_VERSION !== `${NODE_ENI_GROUP}/${NODE_ENI_VERSION}`) {
    // Two constants for one fact: fail loudly if they ever drift apart.
    throw new Error(`NODE_ENI_API_VERSION ${NODE_ENI_API_VERSION} does not match the CRD's ${NODE_ENI_GROUP}/${NODE_ENI_VERSION}`);
  }
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: NODE_ENI_CRD_NAME, labels: { 'app.kubernetes.io/name': 'eniflow', 'app.kubernetes.io/part-of': 'eniflow' } },
    spec: {
      group: NODE_ENI_GROUP,
      scope: 'Cluster',
      names: {
        kind: NODE_ENI_KIND,
        listKind: `${NODE_ENI_KIND}List`,
        plural: NODE_ENI_PLURAL,
        singular: 'nodeeni',
        shortNames: ['neni'],
        categories: ['eniflow'],
      },
      versions: [
        {
          name: NODE_ENI_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: nodeEniOpenApiSchema() },
          subresources: { status: {} },
          additionalPrinterColumns: nodeEniPrinterColumns,
        },
      ],
    },
  };
}
