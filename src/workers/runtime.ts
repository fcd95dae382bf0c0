// Runtime.install may run once per process, before the first worker: one guarded place for it.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

export interface RuntimeSettings {
  logLevel?: LogLevel;
  /** host:port for Prometheus metrics of the worker (task latencies, failures, slots) at /metrics. */
  metricsAddress?: string;
}

export function installRuntime(settings: RuntimeSettings | LogLevel = {}): void {
  if (installed) return;
  installed = true;
  const { logLevel, metricsAddress } = typeof settings === 'string' ? { logLevel: settings, metricsAddress: undefined } : settings;
  const level = logLevel ?? ((process.env.ENIFLOW_LOG_LEVEL?.toUpperCase() as LogLevel) || 'INFO');
  Runtime.install({
    logger: new DefaultLogger(level),
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true } } } } : {}),
  });
}
