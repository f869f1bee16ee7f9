// One `ceremony serve` per embedded data dir, and a taken port ends the start: both refused with an exit code.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { EXIT_DATA_DIR_LOCKED, EXIT_PORT_IN_USE, LOCK_FILE } from '../../src/storage/data-dir-lock.js';

const cli = fileURLToPath(new URL('../helpers/cli-child.ts', import.meta.url));

interface Serve {
  child: ChildProcess;
  /** The URL once it listens, or the exit code and stderr if it ends first. */
  outcome: Promise<{ url?: string; code?: number | null; stderr: string }>;
}

function serve(dataDir: string, port: number): Serve {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--json'], {
    env: {
      ...process.env,
      // The lock guards the embedded database: this test always runs on it.
      DATABASE_URL: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      TRANSCRIPTS_DIR: join(dataDir, 'ceremony-transcripts'),
      COORDINATOR_PUBLIC_KEYS: toHex(generateKeyPair().publicKey),
      CEREMONY_ORIGIN: 'test.ceremony.local',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const outcome = new Promise<{ url?: string; code?: number | null; stderr: string }>((resolve) => {
    let out = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('"url"'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, stderr });
    });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
  return { child, outcome };
}

describe('one coordinator per embedded data dir', () => {
  let dirs: string[] = [];
  const children: ChildProcess[] = [];
  let first: { url?: string };
  let dataDir: string;

  beforeAll(async () => {
    dirs = [await mkdtemp(join(tmpdir(), 'ceremony-one-')), await mkdtemp(join(tmpdir(), 'ceremony-one-'))];
    dataDir = dirs[0] as string;
    const started = serve(dataDir, 0);
    children.push(started.child);
    first = await started.outcome;
    if (!first.url) throw new Error('the first serve did not start');
  }, 300_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('refuses a second serve on the same data dir, naming the process that holds it', async () => {
    const second = serve(dataDir, 0);
    children.push(second.child);
    const ended = await second.outcome;
    expect(ended.url).toBeUndefined();
    expect(ended.code).toBe(EXIT_DATA_DIR_LOCKED);
    expect(ended.stderr).toContain(`is in use by process ${children[0]?.pid}`);
    // The first still answers.
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  }, 300_000);

  it('exits, not hangs, when the port is taken', async () => {
    const port = Number(new URL(first.url ?? '').port);
    const other = serve(dirs[1] as string, port);
    children.push(other.child);
    // A start that hangs on EADDRINUSE would never settle: two minutes is far beyond a loaded machine's start.
    const hung = new Promise<{ code: string; stderr: string }>((resolve) =>
      setTimeout(() => resolve({ code: 'still running', stderr: '' }), 120_000).unref(),
    );
    const ended = await Promise.race([other.outcome, hung]);
    expect(ended.code).toBe(EXIT_PORT_IN_USE);
    expect(ended.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
    // It let go of its own data dir on the way out.
    await expect(readFile(join(dirs[1] as string, LOCK_FILE))).rejects.toThrow();
  }, 300_000);

  it('takes over the lock a killed coordinator left', async () => {
    const firstChild = children[0] as ChildProcess;
    const gone = new Promise((resolve) => firstChild.once('exit', resolve));
    firstChild.kill('SIGKILL');
    await gone;
    expect(await readFile(join(dataDir, LOCK_FILE), 'utf8')).toContain(String(firstChild.pid));
    const again = serve(dataDir, 0);
    children.push(again.child);
    const started = await again.outcome;
    expect(started.url, started.stderr).toBeDefined();
  }, 300_000);
});
