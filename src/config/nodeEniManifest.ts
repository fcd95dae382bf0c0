// NodeENI manifests read from files (the CLI without a cluster): YAML or JSON, one or many documents.
import { readFileSync } from 'node:fs';
import { parseNodeEniSpec, type NodeEniPolicy } from './nodeEni';

export const NODE_ENI_API_VERSION = 'networking.k8s.aws/v1alpha1';

export class ManifestError extends Error {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ManifestError';
  }
}

export function policyFromManifest(doc: unknown, file: string): NodeEniPolicy {
  if (!doc || typeof doc !== 'object') throw new ManifestError(file, 'is not a Kubernetes object');
  const obj = doc as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown }; spec?: unknown };
  if (obj.kind !== 'NodeENI') throw new ManifestError(file, `kind is ${JSON.stringify(obj.kind)}, expected "NodeENI"`);
  if (obj.apiVersion !== NODE_ENI_API_VERSION) throw new ManifestError(file, `apiVersion is ${JSON.stringify(obj.apiVersion)}, expected "${NODE_ENI_API_VERSION}"`);
  const name = obj.metadata?.name;
  if (typeof name !== 'string' || !name) throw new ManifestError(file, 'metadata.name is missing');
  return { name, spec: parseNodeEniSpec(name, obj.spec) };
}

export async function loadNodeEniFile(file: string): Promise<NodeEniPolicy[]> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ManifestError(file, `cannot be read: ${(err as Error).message}`);
  }
  // The Kubernetes client's YAML loader (a dependency already) also reads JSON.
  const { loadAllYaml } = await import('@kubernetes/client-node');
  let docs: unknown[];
  try {
    docs = loadAllYaml(text).filter((d: unknown) => d !== null && d !== undefined);
  } catch (err) {
    throw new ManifestError(file, `is not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (docs.length === 0) throw new ManifestError(file, 'contains no NodeENI');
  return docs.map((doc) => policyFromManifest(doc, file));
}
