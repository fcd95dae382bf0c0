// A real Temporal server for the demo and the tests: the CLI's dev server on free ports, with the
// Web UI on and eniflow's search attributes registered.
import { startProcess, type ManagedProcess } from './childProcess';
import { freePort, waitForPort } from './ports';
import { toolPath } from './tools';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/searchAttributes';

export interface TemporalDevServer {
  address: string;
  namespace: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export interface TemporalDevServerOptions {
  ui?: boolean;
  /** SQLite file to keep workflow state across server restarts; in memory when absent. */
  dbFile?: string;
  /** Extra `--dynamic-config-value` pairs, e.g. a task queue rate limit. */
  dynamicConfig?: Record<string, unknown>;
}

export async function startTemporalDevServer(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const uiPort = await freePort(host);
  const args = ['server', 'start-dev', '--ip', host, '--port', String(port), '--log-level', 'error', '--namespace', 'default'];
  if (options.ui === false) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-ip', host);
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  const proc: ManagedProcess = startProcess('temporal', toolPath('temporal'), args);
  try {
    await Promise.race([
      waitForPort(host, port, 60_000),
      new Promise((_, reject) => proc.child.once('exit', (code) => reject(new Error(`temporal dev server exited with ${code}:\n${proc.output()}`)))),
    ]);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    address: `${host}:${port}`,
    namespace: 'default',
    uiUrl: options.ui === false ? '' : `http://${host}:${uiPort}`,
    stop: () => proc.stop(),
  };
}
