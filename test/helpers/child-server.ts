// A coordinator in a child process on a fixed data dir and database: SIGKILL it, start it again.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ROOMY_BUDGETS } from './budgets.js';

export interface ChildServer {
  url: string;
  process: ChildProcess;
  kill(): Promise<void>;
}

const script = fileURLToPath(new URL('./serve-child.ts', import.meta.url));

export async function startChildServer(env: Record<string, string>): Promise<ChildServer> {
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...ROOMY_BUDGETS, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`server child exited with ${code} before listening`)));
  });
  return {
    url,
    process: child,
    kill: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
