// `eniflow controller`: one active replica (Lease) watches Nodes and NodeENIs and drives the
// onboarding and offboarding workflows. Also the central worker's choice of status publisher.
import { hostname } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { logStatusPublisher, type StatusPublisher } from '../activities/status';
import { loadImdsConfig } from '../config/imdsEnv';
import { loadControllerConfig } from '../controller/config';
import { serveHealth } from '../workers/health';

const log = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

export async function runControllerProcess(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const config = loadControllerConfig(env);
  const imdsConfig = loadImdsConfig(env);
  // client-node is ESM-only and heavy: load it only in the processes that talk to Kubernetes.
  const { loadKubeConfig, makeClients } = await import('../k8s/client.js');
  const { acquireLeadership } = await import('../k8s/leader.js');
  const { runController } = await import('../controller/controller.js');
  const clients = makeClients(loadKubeConfig(config.kubeconfig));
  // Live while the process runs; ready once this replica leads (standbys are healthy, not serving).
  const health = await serveHealth(config.healthPort);
  let phase: 'STANDBY' | 'LEADING' | 'STOPPED' = 'STANDBY';
  health.watch(() => ({ live: phase !== 'STOPPED', ready: phase === 'LEADING', state: phase }));

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const leadership = await acquireLeadership({
    api: clients.coordination,
    namespace: config.leaseNamespace,
    name: config.leaseName,
    identity: config.identity,
    leaseDurationMs: config.leaseDurationMs,
    signal: stop.signal,
    log,
  });
  if (!leadership) {
    await health.close();
    return 0; // stopped while waiting to lead
  }
  phase = 'LEADING';

  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  // Lost leadership: stop acting at once; exit non-zero so the Deployment restarts us as a candidate.
  let lostLeadership = false;
  leadership.lost.addEventListener('abort', () => {
    if (!stop.signal.aborted) {
      lostLeadership = true;
      log({ msg: 'leadership lost; stopping' });
      stop.abort();
    }
  });
  log({ msg: 'controller started', identity: config.identity, cluster: config.cluster, temporal: config.temporalAddress, namespace: config.temporalNamespace, reconcilePeriodMs: config.reconcilePeriodMs });
  try {
    await runController({ clients, temporal, config, imds: { autoConfigure: imdsConfig.autoConfigureHopLimit, hopLimit: imdsConfig.hopLimit } }, stop.signal);
  } finally {
    if (!lostLeadership) await leadership.release();
    await connection.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    phase = 'STOPPED';
    await health.close();
    log({ msg: 'controller stopped' });
  }
  return lostLeadership ? 1 : 0;
}

/**
 * The central worker's status publisher: Kubernetes (NodeENI status, node annotation and taint,
 * Events) when KUBECONFIG is set or the worker runs in a pod, unless ENIFLOW_STATUS=log; the log otherwise.
 */
export async function statusPublisherFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<StatusPublisher> {
  const mode = env.ENIFLOW_STATUS?.trim().toLowerCase();
  if (mode && mode !== 'log' && mode !== 'kubernetes') throw new Error(`ENIFLOW_STATUS: must be "log" or "kubernetes", got "${env.ENIFLOW_STATUS}"`);
  const inPod = Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT);
  const useKube = mode === 'kubernetes' || (mode !== 'log' && (Boolean(env.KUBECONFIG) || inPod));
  if (!useKube) return logStatusPublisher();
  const { kubeStatusApi, loadKubeConfig, makeClients } = await import('../k8s/client.js');
  const { createKubeStatusPublisher } = await import('../k8s/statusPublisher.js');
  const clients = makeClients(loadKubeConfig(env.KUBECONFIG || undefined));
  return createKubeStatusPublisher(kubeStatusApi(clients, env.POD_NAME ?? env.HOSTNAME ?? hostname()), { log });
}
