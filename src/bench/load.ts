// `npm run bench:load`: status at crowd scale on one machine. For each database (PGlite, and PostgreSQL with
// --database-url) and each queue size N: registers and queues N participants through the domain functions (HTTP
// login at that count would spend minutes on auth budgets), then measures with autocannon, in the same run, the
// ceremony view, a participant's `/me`, `/transcript` and a bare Fastify route; times a sample of real HTTP joins at
// N; and shows the plans of the hot statements (EXPLAIN). The machine's load average is recorded with each figure.
// Flags: --sizes 1000,10000 --database-url URL (a server where it may create and drop databases) --skip-pglite --duration S
// --connections C --http-joins K --r1cs PATH --ptau PATH --json --write-docs (the table into docs/BENCHMARKS.md).
// Reads are measured after VACUUM ANALYZE, in the steady state of a line that long; table sizes go into the JSON.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import pg from 'pg';
import { type BuiltApp, buildApp } from '../app.js';
import { authMessage } from '../ceremony/auth-message.js';
import { createCeremony, openCeremony } from '../ceremony/ceremonies.js';
import { addCircuit } from '../ceremony/circuits.js';
import { registerParticipant } from '../ceremony/participants.js';
import { joinQueue } from '../ceremony/queue.js';
import type { Participant } from '../ceremony/types.js';
import { loadConfig } from '../config.js';
import { generateKeyPair, type KeyPair, sign } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hex.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CEREMONY = 'crowd';

interface LoadArgs {
  sizes: number[];
  databaseUrl: string | undefined;
  durationSeconds: number;
  connections: number;
  httpJoins: number;
  r1cs: string;
  ptau: string;
  json: boolean;
  writeDocs: boolean;
  skipPglite: boolean;
}

function parseLoadArgs(argv: string[]): LoadArgs {
  const args: LoadArgs = {
    sizes: [1000, 10000],
    databaseUrl: undefined,
    durationSeconds: 10,
    connections: 50,
    httpJoins: 20,
    r1cs: join(root, 'examples', 'circuits', 'mulchain-1021.r1cs'),
    ptau: join(root, 'examples', 'circuits', 'pot10.ptau'),
    json: false,
    writeDocs: false,
    skipPglite: false,
  };
  const positive = (flag: string, raw: string | undefined) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`bench:load: ${flag} takes a positive integer, got '${raw}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--sizes') args.sizes = (argv[++i] ?? '').split(',').map((n) => positive('--sizes', n));
    else if (flag === '--database-url') args.databaseUrl = argv[++i];
    else if (flag === '--duration') args.durationSeconds = positive(flag, argv[++i]);
    else if (flag === '--connections') args.connections = positive(flag, argv[++i]);
    else if (flag === '--http-joins') args.httpJoins = positive(flag, argv[++i]);
    else if (flag === '--r1cs') args.r1cs = argv[++i] ?? '';
    else if (flag === '--ptau') args.ptau = argv[++i] ?? '';
    else if (flag === '--json') args.json = true;
    else if (flag === '--write-docs') args.writeDocs = true;
    else if (flag === '--skip-pglite') args.skipPglite = true;
    else throw new Error(`bench:load: unknown flag ${flag}`);
  }
  return args;
}

interface Cannon {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  load: number;
}

/** Runs autocannon in its own process, so it does not share the server's event loop. */
async function cannon(url: string, args: LoadArgs, headers: Record<string, string> = {}): Promise<Cannon> {
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const flags = ['--json', '-c', String(args.connections), '-d', String(args.durationSeconds)];
  for (const [k, v] of Object.entries(headers)) flags.push('-H', `${k}=${v}`);
  const child = spawn(process.execPath, [bin, ...flags, url], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`bench:load: autocannon exited with ${code}`);
  const r = JSON.parse(out) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    requestsPerSecond: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    load: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

async function login(url: string, keys: KeyPair): Promise<string> {
  const publicKey = toHex(keys.publicKey);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`bench:load: ${path} answered ${res.status}: ${await res.text()}`);
    return res.json() as Promise<Record<string, string>>;
  };
  const { nonce = '', origin = '' } = await post('/v1/auth/challenge', { publicKey });
  const signature = toHex(sign(authMessage(origin, nonce), keys.secretKey));
  const { token = '' } = await post('/v1/auth/login', { publicKey, nonce, signature });
  return token;
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round = (x: number) => Math.round(x * 100) / 100;

interface RunResult {
  database: 'pglite' | 'postgres';
  participants: number;
  fillSeconds: number;
  /** Mean ms of a domain join (register excluded) over the first and the last 100 of the fill. */
  domainJoinFirstMs: number;
  domainJoinLastMs: number;
  httpJoinMedianMs: number;
  httpJoinP95Ms: number;
  transcriptBytes: number;
  view: Cannon;
  me: Cannon;
  transcript: Cannon;
  bare: Cannon;
  plans: { statement: string; plan: string }[];
  /** Rows and bytes (table + indexes + TOAST) of each table after the run; the database's total size. */
  storage: { tables: { table: string; rows: number; bytes: number }[]; databaseBytes: number };
}

async function withDatabase<T>(
  baseUrl: string | undefined,
  name: string,
  fn: (url: string | undefined) => Promise<T>,
): Promise<T> {
  if (baseUrl === undefined) return fn(undefined);
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function runOne(args: LoadArgs, n: number, databaseUrl: string | undefined): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-load-'));
  const coordinator = generateKeyPair();
  const config = loadConfig(
    {},
    {
      DATA_DIR: join(dir, 'data'),
      TRANSCRIPTS_DIR: join(dir, 'transcripts'),
      COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
      CEREMONY_ORIGIN: 'bench.ceremony.local',
      RATE_LIMIT: 'off',
      // Queued participants here never heartbeat: the timer must not sweep them during the run.
      HEARTBEAT_GRACE_SECONDS: '86400',
      LOG_LEVEL: 'info',
      DISK_RESERVE_BYTES: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
  );
  let built: BuiltApp | undefined;
  const bare = Fastify();
  bare.get('/bare', async () => ({ ok: true }));
  try {
    built = await buildApp(config);
    const s = built.services;
    const url = await built.app.listen({ port: 0, host: '127.0.0.1' });
    const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

    await createCeremony(s, toHex(coordinator.publicKey), {
      id: CEREMONY,
      title: 'Crowd',
      timeoutSeconds: 86400,
    });
    const r1csSha256 = await s.store.putBytes(await readFile(args.r1cs));
    const ptauSha256 = await s.store.putBytes(await readFile(args.ptau));
    await addCircuit(s, CEREMONY, { name: 'main', r1csSha256, ptauSha256 });
    for (;;) {
      const view = await s.board.view(CEREMONY);
      if (view.circuits.every((c) => c.status === 'ready')) break;
      if (view.circuits.some((c) => c.status === 'failed'))
        throw new Error('bench:load: circuit setup failed');
      await new Promise((r) => setTimeout(r, 200));
    }
    await openCeremony(s, CEREMONY);

    const fillStart = performance.now();
    const joinMs: number[] = [];
    let middle: { p: Participant; keys: KeyPair } | undefined;
    for (let i = 0; i < n; i++) {
      const keys = generateKeyPair();
      const p = await registerParticipant(s, CEREMONY, {
        name: `crowd ${i}`,
        publicKey: toHex(keys.publicKey),
      });
      const t0 = performance.now();
      await joinQueue(s, p);
      joinMs.push(performance.now() - t0);
      if (i === Math.floor(n / 2)) middle = { p, keys };
    }
    const fillSeconds = (performance.now() - fillStart) / 1000;

    // Real HTTP joins at N: login (challenge, signature, token), then the timed POST …/queue.
    const httpJoinMs: number[] = [];
    for (let i = 0; i < args.httpJoins; i++) {
      const keys = generateKeyPair();
      await registerParticipant(s, CEREMONY, { name: `http ${i}`, publicKey: toHex(keys.publicKey) });
      const token = await login(url, keys);
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/ceremonies/${CEREMONY}/queue`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`bench:load: HTTP join answered ${res.status}`);
      httpJoinMs.push(performance.now() - t0);
    }

    if (middle === undefined) throw new Error('bench:load: no participant in the middle of the line');
    const token = await login(url, middle.keys);
    const me = await (
      await fetch(`${url}/v1/ceremonies/${CEREMONY}/me`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    const position = (me as { circuits: { position: number }[] }).circuits[0]?.position;
    if (position !== Math.floor(n / 2)) throw new Error(`bench:load: /me shows position ${position}`);
    const transcript = await fetch(`${url}/v1/ceremonies/${CEREMONY}/transcript`);
    const transcriptBytes = (await transcript.arrayBuffer()).byteLength;
    // The reads are measured in the steady state of a line this long, not in the minute after a fill no crowd makes
    // in four minutes: what autovacuum (PostgreSQL) or the server's ANALYZE timer (PGlite) would do next is done now.
    await s.db.exec('VACUUM ANALYZE');

    const result: RunResult = {
      database: s.db.kind,
      participants: n,
      fillSeconds: round(fillSeconds),
      domainJoinFirstMs: round(mean(joinMs.slice(0, 100))),
      domainJoinLastMs: round(mean(joinMs.slice(-100))),
      httpJoinMedianMs: round(percentile(httpJoinMs, 0.5)),
      httpJoinP95Ms: round(percentile(httpJoinMs, 0.95)),
      transcriptBytes,
      view: await cannon(`${url}/v1/ceremonies/${CEREMONY}`, args),
      me: await cannon(`${url}/v1/ceremonies/${CEREMONY}/me`, args, { authorization: `Bearer ${token}` }),
      transcript: await cannon(`${url}/v1/ceremonies/${CEREMONY}/transcript`, args),
      bare: await cannon(`${bareUrl}/bare`, args),
      plans: await explainHotStatements(built, middle.p),
      storage: await storageOf(built),
    };
    return result;
  } finally {
    await bare.close();
    await built?.app.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the run left in the database: rows and on-disk bytes per table (counted, not the planner's estimate). */
async function storageOf(built: BuiltApp): Promise<RunResult['storage']> {
  const db = built.services.db;
  const names = await db.query<{ table: string; bytes: string }>(
    `SELECT relname AS table, pg_total_relation_size(relid)::text AS bytes FROM pg_stat_user_tables
     ORDER BY pg_total_relation_size(relid) DESC`,
  );
  const tables: RunResult['storage']['tables'] = [];
  for (const { table, bytes } of names) {
    const [row] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${table.replaceAll('"', '""')}"`,
    );
    tables.push({ table, rows: row?.n ?? 0, bytes: Number(bytes) });
  }
  const [size] = await db.query<{ bytes: string }>(
    'SELECT pg_database_size(current_database())::text AS bytes',
  );
  return { tables, databaseBytes: Number(size?.bytes ?? 0) };
}

/** The plans of the statements a read, a join and the queue timer run, at N. */
async function explainHotStatements(built: BuiltApp, p: Participant): Promise<RunResult['plans']> {
  const statements: [string, unknown[]][] = [
    [
      'SELECT id FROM turns WHERE ceremony_id = $1 AND change_seq > $2 ORDER BY change_seq',
      [CEREMONY, 1_000_000_000],
    ],
    ['SELECT max(change_seq) FROM participants WHERE ceremony_id = $1', [CEREMONY]],
    [
      `SELECT t.id FROM turns t WHERE t.ceremony_id = $1 AND t.circuit_name = 'main' AND t.state = 'waiting'
       ORDER BY t.queue_pos LIMIT 1`,
      [CEREMONY],
    ],
    [
      `SELECT t.id FROM turns t WHERE t.ceremony_id = $1 AND t.state = 'waiting' AND t.participant_id = ANY (ARRAY(
         SELECT p.participant_id FROM participants p
         WHERE p.ceremony_id = $1 AND p.last_seen_at >= $2 AND p.last_seen_at < $3))`,
      [CEREMONY, new Date(Date.now() - 2000), new Date(Date.now() - 1000)],
    ],
    [
      `SELECT 1 FROM turns WHERE ceremony_id = $1 AND participant_id = $2 AND state IN ('waiting', 'active', 'verifying')`,
      [CEREMONY, p.participantId],
    ],
    [
      `SELECT 1 FROM contributions WHERE ceremony_id = $1 AND participant_id = $2 AND state = 'accepted'`,
      [CEREMONY, p.participantId],
    ],
    ['SELECT seq FROM transcript_entries WHERE ceremony_id = $1 ORDER BY seq DESC LIMIT 1', [CEREMONY]],
  ];
  const plans: RunResult['plans'] = [];
  const db = built.services.db;
  for (const [statement, params] of statements) {
    const rows = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement}`, params);
    plans.push({
      statement: statement.replace(/\s+/g, ' '),
      plan: rows.map((r) => r['QUERY PLAN'].trim()).join(' | '),
    });
  }
  return plans;
}

const cell = (c: Cannon) => `${c.requestsPerSecond.toLocaleString('en-US')} / ${c.p99Ms} ms`;

function formatTable(results: RunResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.database} | ${r.participants.toLocaleString('en-US')} | ${cell(r.view)} | ${cell(r.me)} | ${cell(r.transcript)} (${(r.transcriptBytes / 1024 / 1024).toFixed(1)} MB) | ${cell(r.bare)} | ${r.domainJoinFirstMs} → ${r.domainJoinLastMs} ms | ${r.httpJoinMedianMs} / ${r.httpJoinP95Ms} ms | ${r.view.load}–${r.bare.load} |`,
  );
  return [
    '| database | queued | view req/s / p99 | `/me` req/s / p99 | `/transcript` req/s / p99 | bare route req/s / p99 | domain join, first → last 100 | HTTP join median / p95 | load average |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function writeDocs(table: string, args: LoadArgs): Promise<void> {
  const path = join(root, 'docs', 'BENCHMARKS.md');
  const text = await readFile(path, 'utf8');
  const begin = '<!-- bench:load -->';
  const end = '<!-- /bench:load -->';
  const stamp = `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpus().length} cores shared with other work, ${args.connections} connections for ${args.durationSeconds} s each:`;
  const block = `${begin}\n${stamp}\n\n${table}\n${end}`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`bench:load: docs/BENCHMARKS.md has no ${begin} … ${end} block`);
  await writeFile(path, `${text.slice(0, from)}${block}${text.slice(to + end.length)}`);
}

async function main(): Promise<void> {
  const args = parseLoadArgs(process.argv.slice(2));
  const results: RunResult[] = [];
  const databases: (string | undefined)[] = [
    ...(args.skipPglite ? [] : [undefined]),
    ...(args.databaseUrl ? [args.databaseUrl] : []),
  ];
  for (const base of databases) {
    for (const n of args.sizes) {
      const name = `bench_load_${process.pid}_${n}`;
      const result = await withDatabase(base, name, (url) => runOne(args, n, url));
      results.push(result);
      if (!args.json) process.stderr.write(`${formatTable([result]).split('\n').at(-1)}\n`);
    }
  }
  const table = formatTable(results);
  if (args.writeDocs) await writeDocs(table, args);
  process.stdout.write(
    args.json ? `${JSON.stringify({ cpus: cpus().length, results }, null, 2)}\n` : `${table}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
