// A private PostgreSQL cluster in a temp dir on a free port, so a test can stop and restart its database
// without touching any shared server.
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from './ports.js';

const run = promisify(execFile);

export interface PrivatePostgres {
  url: string;
  port: number;
  start(): Promise<void>;
  /** Fast shutdown: open connections are cut, as in a failover. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

async function findBinDir(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = (await readdir(root).catch(() => [] as string[])).sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (newest === undefined) throw new Error(`private-postgres: no PostgreSQL binaries under ${root}`);
  return join(root, newest, 'bin');
}

/** initdb refuses to run as root, so as root every cluster command runs as the postgres OS user. */
function asClusterOwner(bin: string, args: string[]): Promise<unknown> {
  if (process.getuid?.() === 0) return run('runuser', ['-u', 'postgres', '--', bin, ...args]);
  return run(bin, args);
}

export async function createPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await findBinDir();
  const dir = await mkdtemp(join(tmpdir(), 'ceremony-faults-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = await findFreePort();
  await asClusterOwner(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const pgCtl = (args: string[]) => asClusterOwner(join(bin, 'pg_ctl'), ['-D', data, ...args]);
  const db: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => {
      await pgCtl(['-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
    },
    stop: async () => {
      await pgCtl(['-m', 'fast', '-w', 'stop']);
    },
    destroy: async () => {
      await pgCtl(['-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await db.start();
  return db;
}
