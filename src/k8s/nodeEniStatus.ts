// The NodeENI status (networking.k8s.aws/v1alpha1): the original controller's attachments[] plus
// standard Kubernetes conditions and two counters for printer columns. One zod schema gives the
// TypeScript types, runtime validation and the CRD's status OpenAPI schema (src/k8s/crdSchema.ts).
import { z } from 'zod';

/** metav1.Time as the API server writes it (RFC 3339, UTC). */
const timestamp = z.iso.datetime({ offset: true });

/** Names the API server also accepts as metav1.Condition fields (same bounds as upstream). */
const conditionType = z
  .string()
  .min(1)
  .max(316)
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/);
const conditionReason = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/);

export const nodeEniConditionSchema = z.object({
  type: conditionType.describe('Ready: every matching node has its ENIs; Degraded: the last failure'),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: conditionReason,
  message: z.string().max(32768).default(''),
  lastTransitionTime: timestamp,
  observedGeneration: z.number().int().min(0).optional(),
});

/** One ENI on one node: the original's fields (names kept for migration) plus what eniflow also knows. */
export const nodeEniAttachmentSchema = z.object({
  nodeID: z.string().min(1).describe('Kubernetes node name'),
  instanceID: z.string().optional(),
  eniID: z.string().optional(),
  attachmentID: z.string().optional(),
  subnetID: z.string().optional(),
  subnetCIDR: z.string().optional(),
  mtu: z.number().int().min(0).optional(),
  deviceIndex: z.number().int().min(0).optional(),
  status: z.string().optional().describe('e.g. attached, attaching, failed'),
  lastUpdated: timestamp.optional(),
  dpdkBound: z.boolean().optional(),
  dpdkDriver: z.string().optional(),
  dpdkResourceName: z.string().optional(),
  dpdkPCIAddress: z.string().optional(),
  // Not in the original: how to find the ENI on the node (eniflow matches interfaces by MAC).
  macAddress: z.string().optional(),
  interfaceName: z.string().optional(),
  privateIPAddress: z.string().optional(),
});

export const nodeEniStatusSchema = z.object({
  observedGeneration: z.number().int().min(0).optional(),
  // Counters exist because printer columns take plain JSONPaths and cannot count list items.
  matchedNodes: z.number().int().min(0).optional().describe('Nodes whose labels match spec.nodeSelector'),
  attachedENIs: z.number().int().min(0).optional().describe('Entries of attachments[] with status attached'),
  attachments: z
    .array(nodeEniAttachmentSchema)
    .optional()
    .meta({
      // Atomic, not a map: eniID is absent until the ENI exists, so there is no stable key; the
      // status publisher replaces the list with a resourceVersion-checked write instead.
      'x-kubernetes-list-type': 'atomic',
    }),
  conditions: z
    .array(nodeEniConditionSchema)
    .optional()
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
});

export type NodeEniCondition = z.input<typeof nodeEniConditionSchema>;
export type NodeEniAttachment = z.input<typeof nodeEniAttachmentSchema>;
export type NodeEniStatus = z.input<typeof nodeEniStatusSchema>;

export const NODE_ENI_FINALIZER = 'nodeeni.networking.k8s.aws/finalizer';
export const READY_CONDITION = 'Ready';
export const DEGRADED_CONDITION = 'Degraded';
