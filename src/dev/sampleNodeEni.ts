// The demo's embedded default NodeENI: two Multus subnets (so two ENIs per node), jumbo frames.
import { parseNodeEniSpec, type NodeEniPolicy } from '../config/nodeEni';

export const DEMO_NODE_LABEL = { 'eniflow.io/demo': 'true' };

export const SAMPLE_NODE_ENI_MANIFEST = {
  apiVersion: 'networking.k8s.aws/v1alpha1',
  kind: 'NodeENI',
  metadata: { name: 'multus-data' },
  spec: {
    nodeSelector: DEMO_NODE_LABEL,
    subnetNames: ['eniflow-multus-1', 'eniflow-multus-2'],
    securityGroupNames: ['eniflow-multus'],
    deviceIndex: 1,
    mtu: 9001,
    deleteOnTermination: true,
    description: 'eniflow demo: Multus data-plane interface',
    tags: { team: 'network-functions' },
  },
};

export function samplePolicy(): NodeEniPolicy {
  const { metadata, spec } = SAMPLE_NODE_ENI_MANIFEST;
  return { name: metadata.name, spec: parseNodeEniSpec(metadata.name, spec) };
}
