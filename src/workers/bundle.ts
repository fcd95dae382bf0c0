// The workflow code, bundled once per process (bundling takes seconds; every worker reuses it).
import path from 'node:path';
import { existsSync } from 'node:fs';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowsPath(): string {
  // Works from src (ts-jest) and from dist (compiled).
  const here = path.resolve(__dirname, '..', 'workflows');
  return existsSync(path.join(here, 'index.ts')) ? path.join(here, 'index.ts') : path.join(here, 'index.js');
}

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger });
  return bundle;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (message: string) => console.error(message), log: noop };
