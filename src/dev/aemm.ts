// amazon-ec2-metadata-mock (AEMM): AWS's own IMDS mock, an independent check of eniflow's IMDS client.
import { startProcess, type ManagedProcess } from './childProcess';
import { freePort, waitForPort } from './ports';
import { toolPath } from './tools';

export interface AemmServer {
  /** Base URL to use as AWS_EC2_METADATA_SERVICE_ENDPOINT. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts AEMM on 127.0.0.1 and a free port; `imdsv2` makes it require session tokens (HttpTokens=required). */
export async function startAemm(opts: { imdsv2?: boolean; timeoutMs?: number } = {}): Promise<AemmServer> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const args = ['--hostname', host, '--port', String(port), ...(opts.imdsv2 ? ['--imdsv2'] : [])];
  const proc: ManagedProcess = startProcess('aemm', toolPath('aemm'), args);
  try {
    await Promise.race([
      waitForPort(host, port, opts.timeoutMs ?? 15_000),
      new Promise((_, reject) => proc.child.once('exit', (code) => reject(new Error(`ec2-metadata-mock exited with ${code}:\n${proc.output()}`)))),
    ]);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { endpoint: `http://${host}:${port}`, stop: () => proc.stop() };
}
