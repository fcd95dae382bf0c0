// Runtime.install may run once per process, before the first worker: one guarded place for it.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

export function installRuntime(level: LogLevel = (process.env.ENIFLOW_LOG_LEVEL?.toUpperCase() as LogLevel) || 'INFO'): void {
  if (installed) return;
  installed = true;
  Runtime.install({ logger: new DefaultLogger(level) });
}
