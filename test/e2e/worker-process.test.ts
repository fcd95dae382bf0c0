// The central worker as Kubernetes runs it: health endpoints for its probes, and a clean exit on SIGTERM.
import http from 'node:http';
import { startProcess } from '../../src/dev/childProcess';
import { freePort } from '../../src/dev/ports';
import { ENIFLOW_BIN } from '../helpers/cli';
import { testTemporal, type TestTemporal } from '../helpers/temporal';

function fetchText(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', () => resolve({ status: 0, body: '' }));
  });
}
const get = async (port: number, path: string) => (await fetchText(port, path)).status;

describe('eniflow worker process', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await testTemporal('worker');
  });
  afterAll(async () => t?.close());

  it('answers /healthz and /readyz while polling, serves Prometheus metrics, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const proc = startProcess('eniflow worker', process.execPath, [ENIFLOW_BIN, 'worker'], {
      ...process.env,
      TEMPORAL_ADDRESS: t.address,
      TEMPORAL_NAMESPACE: t.namespace,
      HEALTH_PORT: String(port),
      METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      AWS_REGION: 'eu-west-1',
      ENIFLOW_LOG_LEVEL: 'ERROR',
    });
    const exited = new Promise<number | null>((resolve) => proc.child.once('exit', (code) => resolve(code)));
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = await get(port, '/readyz');
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBe(200);
    expect(await get(port, '/healthz')).toBe(200);
    expect(await get(port, '/metrics')).toBe(404);
    // The worker's own metrics, for a Prometheus scrape: polls of eniflow-central are counted.
    let metrics = '';
    for (let i = 0; i < 50 && !metrics.includes('eniflow-central'); i++) {
      metrics = (await fetchText(metricsPort, '/metrics')).body;
      if (!metrics.includes('eniflow-central')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(metrics).toMatch(/^temporal_\w+/m);
    expect(metrics).toContain('task_queue="eniflow-central"');
    proc.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await get(port, '/healthz')).toBe(0); // nothing listens any more
  });

  it('refuses a bad METRICS_ADDRESS with the variable name', async () => {
    const proc = startProcess('eniflow worker', process.execPath, [ENIFLOW_BIN, 'worker'], { ...process.env, METRICS_ADDRESS: 'everywhere' });
    const code = await new Promise<number | null>((resolve) => proc.child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(proc.output()).toMatch(/METRICS_ADDRESS: must be host:port/);
  });

  it('refuses a bad HEALTH_PORT with the variable name', async () => {
    const proc = startProcess('eniflow worker', process.execPath, [ENIFLOW_BIN, 'worker'], { ...process.env, HEALTH_PORT: 'eighty' });
    const code = await new Promise<number | null>((resolve) => proc.child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(proc.output()).toMatch(/HEALTH_PORT: must be a TCP port/);
  });
});
