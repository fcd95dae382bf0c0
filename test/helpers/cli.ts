// Runs the `eniflow` command as a user does (node bin/eniflow.js, built by `npm test`'s pretest).
import { spawn } from 'node:child_process';
import path from 'node:path';

/** ENIFLOW_TEST_BIN: a build to test other than this checkout's. */
export const ENIFLOW_BIN = process.env.ENIFLOW_TEST_BIN ?? path.join(__dirname, '..', '..', 'bin', 'eniflow.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `env` replaces the environment (only PATH is kept) unless `inherit` is set, so no IMDS or AWS
 * settings of the machine running the tests leak in. The process is killed after timeoutMs.
 */
export function runCli(args: string[], opts: { env?: Record<string, string>; inherit?: boolean; timeoutMs?: number } = {}): Promise<CliResult> {
  const env = opts.inherit ? { ...process.env, ...opts.env } : { PATH: process.env.PATH ?? '', ...opts.env };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ENIFLOW_BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // The AWS SDK's notice about Node 22 is not the command's output.
      resolve({ code, stdout, stderr: stderr.replace(/\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?--trace-warnings[^\n]*\n?/, '') });
    });
  });
}
