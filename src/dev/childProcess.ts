// Starting and stopping the local stack's child processes (Temporal dev server, moto, AEMM).
import { spawn, type ChildProcess } from 'node:child_process';

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines the process printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const liveProcesses = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave servers behind when the parent dies abruptly.
  process.on('exit', () => {
    for (const p of liveProcesses) p.child.kill('SIGKILL');
  });
}

export function startProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ManagedProcess {
  installExitHook();
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const managed: ManagedProcess = {
    name,
    child,
    output: () => tail.join('\n'),
    async stop() {
      liveProcesses.delete(managed);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  liveProcesses.add(managed);
  child.once('exit', () => liveProcesses.delete(managed));
  return managed;
}
