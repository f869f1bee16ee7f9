// The coordinator as an operator runs it (`bin/ceremony.js serve`) on a fixed port, so it can be SIGKILLed and
// started again at the same address while participants keep talking to it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/ceremony.js', import.meta.url));

export interface CoordinatorProcess {
  url: string;
  /** The running child's pid, or undefined between a kill and the next start. */
  readonly pid: number | undefined;
  start(): Promise<void>;
  kill(): Promise<void>;
  /** Everything the coordinator wrote to stderr so far (all lives), for assertions and post-mortems. */
  readonly log: string;
}

export function createCoordinatorProcess(
  port: number,
  env: Record<string, string>,
  logPath: string,
): CoordinatorProcess {
  const url = `http://127.0.0.1:${port}`;
  const logFile: WriteStream = createWriteStream(logPath, { flags: 'a' });
  let child: ChildProcess | undefined;
  let log = '';
  const coordinator: CoordinatorProcess = {
    url,
    get pid() {
      return child?.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    get log() {
      return log;
    },
    async start() {
      const started = spawn(process.execPath, [bin, 'serve'], {
        env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = started;
      started.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
        logFile.write(chunk);
      });
      const exited = new Promise<never>((_, reject) =>
        started.once('exit', (code, signal) =>
          reject(new Error(`coordinator exited (${code ?? signal}) before it answered; log: ${logPath}`)),
        ),
      );
      exited.catch(() => undefined);
      await Promise.race([waitForHealth(url), exited]);
    },
    kill() {
      const running = child;
      return new Promise((resolve) => {
        if (running === undefined || running.exitCode !== null || running.signalCode !== null)
          return resolve();
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    },
  };
  return coordinator;
}

async function waitForHealth(url: string): Promise<void> {
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
