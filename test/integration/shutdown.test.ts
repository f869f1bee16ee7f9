// SIGTERM on a real `ceremony serve` child while hostile clients hold connections open.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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

const cli = fileURLToPath(new URL('../helpers/cli-child.ts', import.meta.url));

async function readRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

function startServe(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--json'], {
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

describe('SIGTERM with stalled clients', () => {
  let dataDir: string;
  let database: TestDatabase;
  let child: ChildProcess | undefined;
  const hostile: StalledUpload[] = [];

  afterAll(async () => {
    for (const h of hostile) h.destroy();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('stops in bounded time: uploads aborted, temp files removed (a contribution kept for a resume), database closed', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ceremony-shutdown-'));
    database = await createTestDatabase();
    const coordinator = generateKeyPair();
    const started = await startServe({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      TRANSCRIPTS_DIR: join(dataDir, 'ceremony-transcripts'),
      COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
      CEREMONY_ORIGIN: 'test.ceremony.local',
      LOG_LEVEL: 'warn',
      SCHEDULER_INTERVAL_MS: '200',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    });
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
    // Stalled bodies on other routes too: a JSON body that never ends, a blob put that never ends.
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

    const signalled = Date.now();
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    const tookMs = Date.now() - signalled;
    console.log(
      `SIGTERM with 50 stalled uploads: exited in ${tookMs} ms; RSS ${(rssBefore / 2 ** 20).toFixed(1)} MiB before, ` +
        `${(rssStalled / 2 ** 20).toFixed(1)} MiB with the stalled clients`,
    );
    // Exit code 0: the orderly close finished within the grace period (the stalled bodies cut at
    // SHUTDOWN_GRACE_SECONDS), not the hard stop 30 s on, which exits 1.
    expect(code).toBe(0);
    await Promise.all(hostile.map((h) => h.closed));
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    // The embedded database's lock is let go only after the database closed: its absence shows the close ran through.
    if (!database.url) expect(await readdir(dataDir)).not.toContain(LOCK_FILE);
    // What arrived of the contribution stays for a resume after the restart, in the same turn.
    expect(await partials()).toHaveLength(1);
  });
});
