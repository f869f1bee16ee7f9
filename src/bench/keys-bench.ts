// Keys in a token against key files (`npm run bench`, `--only keys`): transcript appends per second (one transaction
// each: entry, Merkle nodes, signed checkpoint) signed by a key file and by a key in SoftHSM2, interleaved in rounds so
// both meet the same load; signatures alone; and a coordinator's start (buildApp to listening) with either log key.
// SoftHSM2 gets a token store of its own in a temp dir; without softhsm2-util or pkcs11js the section says so.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { generateKeyPair, writeKeyFile } from '../crypto/ed25519.js';
import { openDatabase } from '../db/database.js';
import { migrateDatabase } from '../db/migrate.js';
import { generateTokenSigner, openTokenSigner } from '../keys/open-signer.js';
import type { Signer } from '../keys/signer.js';
import { appendEntry } from '../transcript/log.js';
import { makeLogSigner } from '../transcript/log-key.js';

const run = promisify(execFile);
const MODULES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'];
const PIN = '1234';

export interface KeysBench {
  appendsPerRound: number;
  rounds: number;
  fileAppendsPerSecond: number;
  tokenAppendsPerSecond: number;
  ratio: number;
  fileSignaturesPerSecond: number;
  tokenSignaturesPerSecond: number;
  fileStartMs: number;
  tokenStartMs: number;
  /** The token's open alone (load, login, find, probe signature): what a start adds. */
  tokenOpenMs: number;
  loadAverage: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** A SoftHSM2 token of its own, the env that names it, and a log key made in it; undefined when SoftHSM2 is absent. */
async function startToken(work: string): Promise<{ uri: string; env: Record<string, string> } | string> {
  const module = MODULES.find((p) => existsSync(p));
  if (module === undefined) return 'SoftHSM2 is not installed (apt-get install softhsm2)';
  const tokens = join(work, 'tokens');
  await mkdir(tokens, { mode: 0o700 });
  const conf = join(work, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  await run('softhsm2-util', [
    '--init-token',
    '--free',
    '--label',
    'bench',
    '--so-pin',
    '0000',
    '--pin',
    PIN,
  ]);
  const env = { PKCS11_MODULE: module, PKCS11_PIN: PIN };
  const uri = 'pkcs11:token=bench;object=log-key';
  try {
    (await generateTokenSigner(uri, env)).close();
  } catch (err) {
    return (err as Error).message;
  }
  return { uri, env };
}

async function appendsPerSecond(key: Signer, n: number, work: string, label: string): Promise<number> {
  const db = await openDatabase({ dataDir: join(work, `pgdata-${label}`) });
  try {
    await migrateDatabase(db);
    await db.query(
      `INSERT INTO ceremonies (id, title, state, timeout_seconds, open_registration, coordinator_key)
       VALUES ('bench', 'bench', 'open', 600, true, $1)`,
      ['00'.repeat(32)],
    );
    const signer = makeLogSigner('bench.local', key);
    const started = performance.now();
    for (let seq = 0; seq < n; seq++) {
      await db.transaction(async (tx) => {
        await tx.query("SELECT id FROM ceremonies WHERE id = 'bench' FOR UPDATE");
        await appendEntry(tx, signer, 'bench', 'turn.expired', {
          circuit: 'main',
          participantId: `p${seq}`,
          reason: 'left',
        });
      });
    }
    return n / ((performance.now() - started) / 1000);
  } finally {
    await db.close();
  }
}

function signaturesPerSecond(key: Signer, n: number): number {
  const message = new TextEncoder().encode('bench.local/ceremonies/bench\n1000\nroot\n');
  const started = performance.now();
  for (let i = 0; i < n; i++) key.sign(message);
  return n / ((performance.now() - started) / 1000);
}

async function startMs(work: string, label: string, logKey: string): Promise<number> {
  const dataDir = join(work, `start-${label}`);
  const config = loadConfig(
    {},
    { PORT: '0', DATA_DIR: dataDir, TRANSCRIPTS_DIR: join(dataDir, 't'), LOG_KEY: logKey, LOG_LEVEL: 'warn' },
  );
  const started = performance.now();
  const built = await buildApp(config);
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const ms = performance.now() - started;
  await built.app.close();
  return ms;
}

export async function benchKeys(
  options: { appendsPerRound: number; rounds: number },
  progress: (message: string) => void,
): Promise<KeysBench | string> {
  const work = await mkdtemp(join(tmpdir(), 'ceremony-bench-keys-'));
  const saved = { PKCS11_MODULE: process.env.PKCS11_MODULE, PKCS11_PIN: process.env.PKCS11_PIN };
  try {
    const token = await startToken(work);
    if (typeof token === 'string') return token;
    Object.assign(process.env, token.env);
    const fileKey = generateKeyPair();
    const keyFile = join(work, 'log-key');
    await writeKeyFile(keyFile, fileKey);
    const opened = performance.now();
    const tokenKey = await openTokenSigner(token.uri);
    const tokenOpenMs = performance.now() - opened;
    const file: number[] = [];
    const inToken: number[] = [];
    let fileSignaturesPerSecond: number;
    let tokenSignaturesPerSecond: number;
    try {
      for (let round = 0; round < options.rounds; round++) {
        progress(`keys: round ${round + 1} of ${options.rounds} (${options.appendsPerRound} appends each)…`);
        file.push(await appendsPerSecond(fileKey, options.appendsPerRound, work, `file-${round}`));
        inToken.push(await appendsPerSecond(tokenKey, options.appendsPerRound, work, `token-${round}`));
      }
      fileSignaturesPerSecond = signaturesPerSecond(fileKey, 2000);
      tokenSignaturesPerSecond = signaturesPerSecond(tokenKey, 2000);
    } finally {
      // Closed before the starts, so the token's start pays for loading and initializing the module as a server's does.
      tokenKey.close();
    }
    progress('keys: a start with each log key…');
    const fileStartMs = await startMs(work, 'file', keyFile);
    const tokenStartMs = await startMs(work, 'token', token.uri);
    const fileAppendsPerSecond = median(file);
    const tokenAppendsPerSecond = median(inToken);
    return {
      ...options,
      fileAppendsPerSecond,
      tokenAppendsPerSecond,
      ratio: tokenAppendsPerSecond / fileAppendsPerSecond,
      fileSignaturesPerSecond,
      tokenSignaturesPerSecond,
      fileStartMs,
      tokenStartMs,
      tokenOpenMs,
      loadAverage: loadavg(),
    };
  } finally {
    for (const [name, value] of Object.entries(saved))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    await rm(work, { recursive: true, force: true });
  }
}

export function formatKeysTable(r: KeysBench): string[] {
  const per = (x: number) => Math.round(x).toLocaleString('en');
  return [
    '| what | key file | key in SoftHSM2 | token / file |',
    '|---|---|---|---|',
    `| transcript appends/s (PGlite, median of ${r.rounds} rounds of ${r.appendsPerRound}) | ${per(r.fileAppendsPerSecond)} | ${per(r.tokenAppendsPerSecond)} | ${r.ratio.toFixed(2)}× |`,
    `| signatures/s alone | ${per(r.fileSignaturesPerSecond)} | ${per(r.tokenSignaturesPerSecond)} | ${(r.tokenSignaturesPerSecond / r.fileSignaturesPerSecond).toFixed(2)}× |`,
    `| a coordinator's start (buildApp to listening, fresh PGlite) | ${(r.fileStartMs / 1000).toFixed(2)} s | ${(r.tokenStartMs / 1000).toFixed(2)} s | |`,
    `| opening the token key alone (load, login, find, probe signature) | | ${r.tokenOpenMs.toFixed(0)} ms | |`,
    '',
    `Load average at the end: ${r.loadAverage.map((x) => x.toFixed(1)).join(', ')}.`,
  ];
}
