// SIGTERM on a real `ceremony serve` child (the built command, as operators run it) while hostile clients hold
// connections open. Needs `npm run build` first (npm test does it).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { LOCK_FILE } from '../../src/storage/data-dir-lock.js';
import { call, loginAs } from '../helpers/api.js';
import { mulchain, setupCeremony } from '../helpers/ceremony.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { openStalledUpload, type StalledUpload, waitUntil } from '../helpers/stalled-upload.js';

const cli = fileURLToPath(new URL('../../bin/ceremony.js', import.meta.url));
const GRACE_SECONDS = 5;
// A correctness bound, not a benchmark: the grace, then the close itself (jobs, publisher, database).
const EXIT_BOUND_MS = (GRACE_SECONDS + 5) * 1000;

async function readRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** PostgreSQL's pg_control `state` (offset 16): 1 is "shut down", 6 "in production" (a close that never ran). */
async function pgControlState(pgdata: string): Promise<number> {
  const handle = await open(join(pgdata, 'global', 'pg_control'), 'r');
  try {
    const bytes = Buffer.alloc(4);
    await handle.read(bytes, 0, 4, 16);
    return bytes.readUInt32LE(0);
  } finally {
    await handle.close();
  }
}

function startServe(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [cli, 'serve', '--json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    process.stderr.write(chunk);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('"url"'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening`)));
  });
}

/** Live child processes of `pid`, from /proc. */
async function childrenOf(pid: number): Promise<{ pid: number; cmdline: string }[]> {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      if (Number(/PPid:\s+(\d+)/.exec(status)?.[1]) !== pid) continue;
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      found.push({ pid: Number(entry), cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Sends `signal` and resolves with the exit code and the milliseconds it took. */
async function signalAndWait(child: ChildProcess, signal: NodeJS.Signals, again?: NodeJS.Signals) {
  const signalled = Date.now();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  if (again) setTimeout(() => child.kill(again), 300);
  const code = await exited;
  return { code, tookMs: Date.now() - signalled };
}

describe('SIGTERM with stalled clients', () => {
  let dataDir: string;
  let database: TestDatabase;
  let child: ChildProcess | undefined;
  const hostile: StalledUpload[] = [];
  const coordinator = generateKeyPair();
  const serveEnv = () => ({
    COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    TRANSCRIPTS_DIR: join(dataDir, 'ceremony-transcripts'),
    CEREMONY_ORIGIN: 'test.ceremony.local',
    LOG_LEVEL: 'warn',
    SCHEDULER_INTERVAL_MS: '200',
    SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  });

  afterAll(async () => {
    for (const h of hostile) h.destroy();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('stops within the grace: uploads aborted, temp files removed (a contribution kept for a resume), database closed cleanly', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ceremony-shutdown-'));
    database = await createTestDatabase();
    const started = await startServe(serveEnv());
    child = started.child;
    const { url } = started;
    const pid = child.pid ?? 0;
    const ceremony = await setupCeremony(
      { url, coordinator },
      { id: 'term', circuits: [mulchain], participants: 1 },
    );
    const alice = ceremony.participants[0];
    if (!alice) throw new Error('no participant');
    const token = await loginAs(url, alice.keys);
    await call(url, 'POST', '/v1/ceremonies/term/queue', { token });
    const head = await fetch(`${url}/v1/ceremonies/term/circuits/mulchain/zkeys/latest`, { method: 'HEAD' });
    const size = Number(head.headers.get('content-length'));
    const rssBefore = await readRssBytes(pid);

    const headers = { authorization: `Bearer ${token}`, 'x-ceremony-attestation': '00'.repeat(64) };
    const path = '/v1/ceremonies/term/circuits/mulchain/contribution';
    for (let i = 0; i < 50; i++) hostile.push(openStalledUpload(url, path, headers, size, size - 4096));
    // Stalled bodies on other routes too: a blob put that never ends, a body that never ends on a route that answers
    // before reading it (its connection then waits for REQUEST_BODY_SECONDS, 30 s, unless the shutdown cuts it).
    const coordinatorToken = await loginAs(url, coordinator);
    hostile.push(
      openStalledUpload(
        url,
        '/v1/blobs',
        { authorization: `Bearer ${coordinatorToken}` },
        10 * 1024 ** 2,
        1024,
      ),
    );
    hostile.push(
      openStalledUpload(url, '/v1/auth/challenge', { 'content-type': 'application/json' }, 1000, 10),
    );
    // A blob streams into tmp/; a contribution into its turn's partial file, kept after a cut for a resume.
    const partials = async () => readdir(join(dataDir, 'partial')).catch(() => [] as string[]);
    await waitUntil(
      async () =>
        (await readdir(join(dataDir, 'tmp'))).filter((f) => f.endsWith('.part')).length === 1 &&
        (await partials()).length === 1,
      10_000,
      'one contribution and one blob streaming',
    );
    const rssStalled = await readRssBytes(pid);

    const { code, tookMs } = await signalAndWait(child, 'SIGTERM');
    console.log(
      `SIGTERM with 50 stalled uploads: exited in ${tookMs} ms; RSS ${(rssBefore / 2 ** 20).toFixed(1)} MiB before, ` +
        `${(rssStalled / 2 ** 20).toFixed(1)} MiB with the stalled clients`,
    );
    // Exit code 0: the orderly close finished (the stalled bodies cut at SHUTDOWN_GRACE_SECONDS), not the hard stop
    // 30 s on, which exits 1; and within the grace and a little, not when the last stalled body's own timer ran out.
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(EXIT_BOUND_MS);
    await Promise.all(hostile.map((h) => h.closed));
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    if (!database.url) {
      // The embedded database's lock is let go only after the database closed, and PostgreSQL's control file says
      // "shut down": the next start needs no crash recovery.
      expect(await readdir(dataDir)).not.toContain(LOCK_FILE);
      expect(await pgControlState(join(dataDir, 'pgdata'))).toBe(1);
    }
    // What arrived of the contribution stays for a resume after the restart, in the same turn.
    expect(await partials()).toHaveLength(1);

    // A clean restart on the same data dir and database: ready, the turn and its held bytes still there.
    const again = await startServe(serveEnv());
    child = again.child;
    expect((await call(again.url, 'GET', '/readyz')).status).toBe(200);
    const offset = await call<{ offset: number }>(
      again.url,
      'GET',
      '/v1/ceremonies/term/circuits/mulchain/contribution/upload',
      { token: await loginAs(again.url, alice.keys) },
    );
    expect(offset.status).toBe(200);
    expect(offset.body.offset).toBeGreaterThan(0);
    const quiet = await signalAndWait(child, 'SIGTERM');
    expect(quiet.code).toBe(0);
    expect(again.stderr()).not.toMatch(/recovery/i);
  });

  it('a second signal during the close ends the process at once with exit code 1', async () => {
    const started = await startServe(serveEnv());
    child = started.child;
    // A stalled body holds the close open for the whole grace, so the second signal arrives while it waits.
    const stalled = openStalledUpload(
      started.url,
      '/v1/auth/challenge',
      { 'content-type': 'application/json' },
      1000,
      10,
    );
    hostile.push(stalled);
    await new Promise((r) => setTimeout(r, 300));
    const { code, tookMs } = await signalAndWait(child, 'SIGTERM', 'SIGTERM');
    expect(code).toBe(1);
    expect(tookMs).toBeLessThan(GRACE_SECONDS * 1000);
  });

  it('kills the snarkjs child of a running job (a long beacon): it does not outlive the server', async () => {
    const started = await startServe(serveEnv());
    child = started.child;
    const token = await loginAs(started.url, coordinator);
    // 2^28 hash iterations keep the beacon's child busy for minutes, in a loop that reads no messages.
    const finalize = await call(started.url, 'POST', '/v1/ceremonies/term/finalize', {
      token,
      json: { beaconHex: 'ab'.repeat(32), beaconSource: 'shutdown test', iterationsExp: 28 },
    });
    expect(finalize.status).toBe(202);
    let jobPid: number | undefined;
    await waitUntil(
      async () => {
        jobPid = (await childrenOf(child?.pid ?? 0)).find((c) => c.cmdline.includes('job-process'))?.pid;
        return jobPid !== undefined;
      },
      30_000,
      'the beacon running in its child process',
    );
    const { code } = await signalAndWait(child, 'SIGTERM');
    // Reparented to init and reaped once killed: its /proc entry goes within moments of the server's exit.
    await waitUntil(() => !alive(jobPid ?? 0), 2000, `snarkjs child ${jobPid} gone after the server exited`);
    expect(code).toBe(0);
  });
});
