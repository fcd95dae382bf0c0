// moto's EC2 API in server mode: the EC2 emulator behind the local stack and the integration tests.
import { startProcess, type ManagedProcess } from './childProcess';
import { freePort, waitForPort } from './ports';
import { toolPath } from './tools';

/** moto accepts any credentials; the AWS SDK insists on having some. */
export const DEV_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startMoto(options: { timeoutMs?: number } = {}): Promise<MotoServer> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Keep moto from reaching out for anything and from mixing in the caller's real AWS settings.
    AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
    PYTHONUNBUFFERED: '1',
  };
  const proc: ManagedProcess = startProcess('moto', toolPath('moto'), ['-H', host, '-p', String(port)], env);
  const endpoint = `http://${host}:${port}`;
  try {
    await Promise.race([
      waitForPort(host, port, options.timeoutMs ?? 30_000).then(() => waitForHttp(endpoint, options.timeoutMs ?? 30_000)),
      new Promise((_, reject) => proc.child.once('exit', (code) => reject(new Error(`moto_server exited with ${code}:\n${proc.output()}`)))),
    ]);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { endpoint, stop: () => proc.stop() };
}

/** The port opens a moment before Werkzeug serves; wait for a real HTTP answer. */
async function waitHttpOnce(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

async function waitForHttp(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await waitHttpOnce(endpoint))) {
    if (Date.now() > deadline) throw new Error(`moto at ${endpoint} did not answer HTTP within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
