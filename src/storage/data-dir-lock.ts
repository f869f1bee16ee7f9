// One coordinator per embedded data dir: a lock file naming the live process that holds it.

import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'coordinator.lock';

/** A start refused before it touched anything; `exitCode` tells scripts why (README, "Exit codes"). */
export class StartRefusedError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'StartRefusedError';
    this.exitCode = exitCode;
  }
}

/** Exit code of `serve` when another live process holds the data dir. */
export const EXIT_DATA_DIR_LOCKED = 3;
/** Exit code of `serve` when the port is taken. */
export const EXIT_PORT_IN_USE = 4;

export interface DataDirLock {
  release(): Promise<void>;
}

/** Whether a process with this pid runs on this host (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dataDir>/coordinator.lock` (pid and host) for this process. A lock left by a process that is gone (a crash)
 * is taken over; one held by a live process, or written on another host, refuses the start.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const mine = `${process.pid} ${hostname()}\n`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(mine);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return {
        release: async () => {
          // Only our own lock: a crash-restart in this process may already have taken it again.
          if ((await readFile(path, 'utf8').catch(() => '')) === mine) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = (await readFile(path, 'utf8').catch(() => '')).trim();
      const [pidText, host] = held.split(' ');
      const pid = Number(pidText);
      const here = host === hostname();
      // Our own pid: a lock this process left (a test's in-process restart, or pid 1 again in a new container).
      const stale = here && Number.isInteger(pid) && pid > 0 && (pid === process.pid || !isAlive(pid));
      if (!stale || attempt > 0) {
        throw new StartRefusedError(
          here
            ? `data dir ${dataDir} is in use by process ${pid} (${path}); stop it first: one coordinator per embedded database`
            : `data dir ${dataDir} is locked by host ${host ?? '?'} (${path}); stop the coordinator there, or remove the file if it is gone`,
          EXIT_DATA_DIR_LOCKED,
        );
      }
      await rm(path, { force: true });
    }
  }
}
