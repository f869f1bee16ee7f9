// `npm run bench:publisher [-- --sizes 1000,10000,100000]`: transcript append latency and how far the publisher
// of ceremony-transcripts/<id>/ falls behind when entries are appended back to back, as fast as the database allows.
// Uses PGlite in a temp dir, or a scratch database on the Postgres server DATABASE_URL names.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../db/database.js';
import { migrateDatabase } from '../db/migrate.js';
import { BlobStore } from '../storage/blob-store.js';
import { FsBlobs } from '../storage/fs-blobs.js';
import { appendEntry } from '../transcript/log.js';
import { loadLogSigner } from '../transcript/log-key.js';
import { Publisher } from '../transcript/publisher.js';

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))] ?? 0;
const ms = (x: number) => `${x.toFixed(2)} ms`;

interface Row {
  entries: number;
  appendP50: number;
  appendP99: number;
  appendsPerSecond: number;
  maxBehind: number;
  behindAtEnd: number;
  catchUpMs: number;
  fileBytes: number;
}

/** A fresh database on the server DATABASE_URL names (dropped by the returned function), never that database itself. */
async function createScratchDatabase(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `ceremony_bench_${randomBytes(6).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function measure(n: number): Promise<Row> {
  const work = await mkdtemp(join(tmpdir(), 'ceremony-bench-publisher-'));
  const base = process.env.DATABASE_URL;
  const scratch = base ? await createScratchDatabase(base) : undefined;
  const db = await openDatabase({ url: scratch?.url, dataDir: join(work, 'pgdata') });
  try {
    await migrateDatabase(db);
    const id = `bench${n}`;
    await db.query(
      `INSERT INTO ceremonies (id, title, state, timeout_seconds, open_registration, coordinator_key)
       VALUES ($1, 'bench', 'open', 600, true, $2)`,
      [id, '00'.repeat(32)],
    );
    const signer = await loadLogSigner({
      origin: 'bench.local',
      originConfigured: true,
      dataDir: work,
      key: undefined,
    });
    const store = new BlobStore(work, { reserveBytes: 0, idleMs: 60_000 }, new FsBlobs(work));
    await store.init();
    const publisher = new Publisher(db, store, signer, join(work, 'transcripts'), (err) => {
      throw err;
    });
    const latencies: number[] = [];
    let maxBehind = 0;
    const started = performance.now();
    for (let seq = 0; seq < n; seq++) {
      const t0 = performance.now();
      await db.transaction(async (tx) => {
        await tx.query('SELECT id FROM ceremonies WHERE id = $1 FOR UPDATE', [id]);
        await appendEntry(tx, signer, id, 'turn.expired', {
          circuit: 'main',
          participantId: `p${seq}`,
          reason: 'left',
        });
      });
      latencies.push(performance.now() - t0);
      // As the app does after every commit; then a turn of the event loop, as between two requests.
      publisher.schedule(id);
      await new Promise((resolve) => setImmediate(resolve));
      maxBehind = Math.max(maxBehind, seq + 1 - (publisher.publishedSize(id) ?? 0));
    }
    const appendedMs = performance.now() - started;
    const behindAtEnd = n - (publisher.publishedSize(id) ?? 0);
    const t1 = performance.now();
    await publisher.stop();
    const catchUpMs = performance.now() - t1;
    if (publisher.publishedSize(id) !== n)
      throw new Error(`bench: published ${publisher.publishedSize(id)} of ${n}`);
    const fileBytes = (await stat(join(publisher.dirOf(id), 'transcript.jsonl'))).size;
    return {
      entries: n,
      appendP50: quantile(latencies, 0.5),
      appendP99: quantile(latencies, 0.99),
      appendsPerSecond: n / (appendedMs / 1000),
      maxBehind,
      behindAtEnd,
      catchUpMs,
      fileBytes,
    };
  } finally {
    await db.close();
    await scratch?.drop();
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--sizes');
  const sizes = (at >= 0 ? (process.argv[at + 1] ?? '') : '1000,10000,100000').split(',').map(Number);
  const lines = [
    `## Transcript appends and publish lag (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'}, ${process.version})`,
    '',
    '| entries | append p50 | append p99 | appends/s | most entries unpublished | unpublished at the end | catch-up after the last append | transcript.jsonl |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const n of sizes) {
    process.stderr.write(`publisher: ${n} entries…\n`);
    const r = await measure(n);
    lines.push(
      `| ${r.entries.toLocaleString('en')} | ${ms(r.appendP50)} | ${ms(r.appendP99)} | ${Math.round(r.appendsPerSecond)} | ${r.maxBehind} | ${r.behindAtEnd} | ${ms(r.catchUpMs)} | ${(r.fileBytes / 2 ** 20).toFixed(1)} MB |`,
    );
    process.stderr.write(`${lines.at(-1)}\n`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
