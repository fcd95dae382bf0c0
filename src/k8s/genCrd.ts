// Writes deploy/crd/nodeenis.networking.k8s.aws.yaml from the zod schemas (npm run gen-crd), or
// with --check fails when the committed file is out of date (CI).
// js-yaml, not client-node's dumpYaml: that one maps objects through client-node's typed models,
// which would drop the raw x-kubernetes-* keys of a plain object.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { dump } from 'js-yaml';
import { buildNodeEniCrd } from './crd';

export const CRD_FILE = path.join('deploy', 'crd', 'nodeenis.networking.k8s.aws.yaml');

const HEADER = '# Generated from the zod schemas in src/config/nodeEni.ts and src/k8s/nodeEniStatus.ts\n# by src/k8s/genCrd.ts (npm run gen-crd). Do not edit by hand.\n';

export function renderNodeEniCrdYaml(): string {
  return HEADER + dump(buildNodeEniCrd(), { lineWidth: -1, noRefs: true });
}

export function main(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { check: { type: 'boolean' }, out: { type: 'string' } } });
  const file = path.resolve(values.out ?? CRD_FILE);
  const text = renderNodeEniCrdYaml();
  if (values.check) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // A missing file is drift too.
    }
    if (current !== text) {
      console.error(`${file} is out of date: run npm run gen-crd`);
      return 1;
    }
    console.log(`${file} is up to date`);
    return 0;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
