// A coordinator's memory (`npm run bench`, `--only footprint`): `ceremony serve` started as a child on a fresh data
// dir (first start) and again on the same dir (later start), with the embedded database and, when DATABASE_URL is set,
// with PostgreSQL. Peak is the process's high-water mark (VmHWM) when it is listening; idle is its resident set (plus
// any children's) after it has sat idle. Linux only: the figures come from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'bin', 'ceremony.js');

export interface FootprintRun {
  database: 'embedded' | 'postgres';
  start: 'first' | 'later';
  /** Spawn to "listening". */
  startMs: number;
  peakMb: number;
  idleMb: number;
}

export interface FootprintBench {
  idleSeconds: number;
  runs: FootprintRun[];
  loadAverage: number[];
}

async function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

/** The process's resident set and its children's (a verifier child, when one is running). */
async function treeRssKb(pid: number): Promise<number> {
  let total = await statusKb(pid, 'VmRSS');
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  for (const child of children.split(/\s+/).filter(Boolean)) total += await treeRssKb(Number(child));
  return total;
}

function waitListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`footprint: serve exited (${code}) before listening`)));
  });
}

async function measureStart(
  dataDir: string,
  database: FootprintRun['database'],
  start: FootprintRun['start'],
  idleSeconds: number,
): Promise<FootprintRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  if (database === 'embedded') delete env.DATABASE_URL;
  const started = Date.now();
  const child = spawn(process.execPath, [cli, 'serve', '--data-dir', dataDir, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('footprint: serve did not start');
  try {
    await waitListening(child);
    const startMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const peakKb = await statusKb(pid, 'VmHWM');
    const idleKb = await treeRssKb(pid);
    return { database, start, startMs, peakMb: peakKb / 1024, idleMb: idleKb / 1024 };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/** Skipped (with the reason) off Linux. */
export async function benchFootprint(
  options: { work: string; idleSeconds: number },
  progress: (message: string) => void,
): Promise<FootprintBench | string> {
  if (!existsSync('/proc/self/status')) return 'no /proc on this system';
  const runs: FootprintRun[] = [];
  const databases: FootprintRun['database'][] = process.env.DATABASE_URL
    ? ['embedded', 'postgres']
    : ['embedded'];
  for (const database of databases) {
    const dataDir = await mkdtemp(join(options.work, `footprint-${database}-`));
    try {
      for (const start of ['first', 'later'] as const) {
        progress(`footprint: ${database} database, ${start} start…`);
        runs.push(await measureStart(dataDir, database, start, options.idleSeconds));
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  return { idleSeconds: options.idleSeconds, runs, loadAverage: loadavg() };
}

export function formatFootprintTable(bench: FootprintBench): string[] {
  return [
    '| database | start | start to listening | peak RSS | idle RSS |',
    '|---|---|---|---|---|',
    ...bench.runs.map(
      (r) =>
        `| ${r.database} | ${r.start} | ${(r.startMs / 1000).toFixed(1)} s | ${r.peakMb.toFixed(0)} MB | ${r.idleMb.toFixed(0)} MB |`,
    ),
    '',
    `Idle is measured after ${bench.idleSeconds} s without requests; load average ${bench.loadAverage
      .map((l) => l.toFixed(2))
      .join(
        ', ',
      )}.${bench.runs.some((r) => r.database === 'postgres') ? '' : ' PostgreSQL rows need DATABASE_URL.'}`,
  ];
}
