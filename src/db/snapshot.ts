// A consistent copy of every table and sequence, read from the catalogue (so new tables and columns need no change
// here), written as ndjson and loaded back into an empty database of the same schema.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Database, Queryable } from './database.js';

export const SNAPSHOT_FORMAT = 'ceremony-database/v1';

/** First line of a snapshot file. */
export interface SnapshotHeader {
  format: typeof SNAPSHOT_FORMAT;
  kind: Database['kind'];
  /** Migration versions applied in the source database: the restore applies exactly these before loading. */
  migrations: number[];
  /** Tables in an order where every referenced table comes first. */
  tables: string[];
  sequences: { name: string; lastValue: string; isCalled: boolean }[];
}

export interface SnapshotSummary {
  sha256: string;
  size: number;
  rows: number;
  header: SnapshotHeader;
}

/** Rows of this table are rewritten by the migrations a restore applies, so the snapshot's copy is not loaded. */
const MIGRATIONS_TABLE = 'schema_migrations';
const FETCH_ROWS = 500;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Orders tables so that each comes after every table its foreign keys reference; refuses a cycle. */
export function orderTablesByDependency(
  tables: readonly string[],
  references: readonly { table: string; referenced: string }[],
): string[] {
  const ordered: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: string, path: string[]) => {
    if (state.get(table) === 'done') return;
    if (state.get(table) === 'visiting')
      throw new Error(`orderTablesByDependency: foreign keys form a cycle: ${[...path, table].join(' → ')}`);
    state.set(table, 'visiting');
    for (const ref of references) {
      if (ref.table === table && ref.referenced !== table && tables.includes(ref.referenced))
        visit(ref.referenced, [...path, table]);
    }
    state.set(table, 'done');
    ordered.push(table);
  };
  for (const table of [...tables].sort()) visit(table, []);
  return ordered;
}

async function readCatalogue(tx: Queryable): Promise<Omit<SnapshotHeader, 'format' | 'kind'>> {
  const tables = await tx.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
  );
  const references = await tx.query<{ table: string; referenced: string }>(
    `SELECT src.relname AS table, dst.relname AS referenced FROM pg_constraint k
     JOIN pg_class src ON src.oid = k.conrelid JOIN pg_class dst ON dst.oid = k.confrelid
     JOIN pg_namespace n ON n.oid = src.relnamespace
     WHERE k.contype = 'f' AND n.nspname = current_schema()`,
  );
  const sequenceNames = await tx.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind = 'S' ORDER BY c.relname`,
  );
  const sequences: SnapshotHeader['sequences'] = [];
  for (const { name } of sequenceNames) {
    const [row] = await tx.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text AS last_value, is_called FROM ${quoteIdent(name)}`,
    );
    if (row) sequences.push({ name, lastValue: row.last_value, isCalled: row.is_called });
  }
  const names = tables.map((t) => t.name);
  const migrations = names.includes(MIGRATIONS_TABLE)
    ? (await tx.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`)).map(
        (r) => r.version,
      )
    : [];
  return { migrations, tables: orderTablesByDependency(names, references), sequences };
}

/**
 * Writes every row of the current schema to `path` from one REPEATABLE READ, READ ONLY transaction: one snapshot,
 * rows fetched through a cursor so no table sits in memory whole. Rows stay as Postgres's own JSON text, so bigint
 * and timestamp values round-trip exactly.
 */
export async function writeDatabaseSnapshot(db: Database, path: string): Promise<SnapshotSummary> {
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const hash = createHash('sha256');
  let size = 0;
  const write = async (line: string) => {
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    hash.update(bytes);
    size += bytes.length;
    if (!out.write(bytes)) await once(out, 'drain');
  };
  try {
    const { header, rows } = await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const header: SnapshotHeader = { format: SNAPSHOT_FORMAT, kind: db.kind, ...(await readCatalogue(tx)) };
      await write(JSON.stringify(header));
      let rows = 0;
      for (const table of header.tables) {
        const prefix = `{"t":${JSON.stringify(table)},"r":`;
        await tx.query(
          `DECLARE snapshot_rows NO SCROLL CURSOR FOR SELECT to_jsonb(t)::text AS row FROM ${quoteIdent(table)} t`,
        );
        for (;;) {
          const batch = await tx.query<{ row: string }>(`FETCH ${FETCH_ROWS} FROM snapshot_rows`);
          for (const { row } of batch) await write(`${prefix}${row}}`);
          rows += batch.length;
          if (batch.length < FETCH_ROWS) break;
        }
        await tx.query('CLOSE snapshot_rows');
      }
      // A trailer, so a file cut short is refused even without its manifest.
      await write(JSON.stringify({ end: true, rows }));
      return { header, rows };
    });
    out.end();
    await once(out, 'finish');
    return { sha256: hash.digest('hex'), size, rows, header };
  } catch (err) {
    out.destroy();
    throw err;
  }
}

const rowLine = /^\{"t":("(?:[^"\\]|\\.)*"),"r":(\{.*\})\}$/;

/** Reads a snapshot's header line without loading the rest. */
export async function readSnapshotHeader(path: string): Promise<SnapshotHeader> {
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  try {
    for await (const line of lines) return parseHeader(line);
    throw new Error('the database snapshot is empty');
  } finally {
    lines.close();
  }
}

function parseHeader(line: string): SnapshotHeader {
  const header = JSON.parse(line) as SnapshotHeader;
  if (
    header?.format !== SNAPSHOT_FORMAT ||
    !Array.isArray(header.tables) ||
    !Array.isArray(header.migrations)
  )
    throw new Error(`the database snapshot does not start with a ${SNAPSHOT_FORMAT} header`);
  return header;
}

/**
 * Loads a snapshot into `tx` (a database already migrated to the snapshot's versions, with empty tables):
 * rows in batches per table, in the header's dependency order, then every sequence set where it was.
 */
export async function loadDatabaseSnapshot(tx: Queryable, path: string): Promise<{ rows: number }> {
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let header: SnapshotHeader | undefined;
  let batch: { table: string; rows: string[] } | undefined;
  let loaded = 0;
  let trailer: { rows: number } | undefined;
  const flush = async () => {
    if (!batch || batch.rows.length === 0 || batch.table === MIGRATIONS_TABLE) return;
    const table = quoteIdent(batch.table);
    await tx.query(
      `INSERT INTO ${table} OVERRIDING SYSTEM VALUE SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`,
      [`[${batch.rows.join(',')}]`],
    );
  };
  for await (const line of lines) {
    if (header === undefined) {
      header = parseHeader(line);
      continue;
    }
    if (trailer !== undefined) throw new Error('the database snapshot has lines after its trailer');
    const match = rowLine.exec(line);
    if (!match) {
      trailer = JSON.parse(line) as { rows: number };
      continue;
    }
    const table = JSON.parse(match[1] as string) as string;
    if (!header.tables.includes(table))
      throw new Error(`the database snapshot has rows of unknown table ${table}`);
    if (batch?.table !== table || batch.rows.length >= FETCH_ROWS) {
      await flush();
      batch = { table, rows: [] };
    }
    batch.rows.push(match[2] as string);
    loaded += 1;
  }
  await flush();
  if (header === undefined) throw new Error('the database snapshot is empty');
  if (trailer?.rows !== loaded)
    throw new Error(
      `the database snapshot is incomplete: ${loaded} rows read, trailer says ${trailer?.rows}`,
    );
  for (const seq of header.sequences) {
    await tx.query('SELECT setval($1::regclass, $2::bigint, $3::boolean)', [
      quoteIdent(seq.name),
      seq.lastValue,
      seq.isCalled,
    ]);
  }
  return { rows: loaded };
}

/** Names of the tables and sequences in the current schema: empty for a database never used. */
export async function listSchemaObjects(
  db: Queryable,
): Promise<{ name: string; kind: 'table' | 'sequence' }[]> {
  const rows = await db.query<{ name: string; relkind: string }>(
    `SELECT c.relname AS name, c.relkind::text AS relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S') ORDER BY c.relname`,
  );
  return rows.map((r) => ({ name: r.name, kind: r.relkind === 'S' ? 'sequence' : 'table' }));
}

/** Drops every table and sequence of the current schema (restore --force onto a used database). */
export async function dropSchemaObjects(tx: Queryable): Promise<void> {
  for (const object of await listSchemaObjects(tx)) {
    const kind = object.kind === 'table' ? 'TABLE' : 'SEQUENCE';
    await tx.query(`DROP ${kind} IF EXISTS ${quoteIdent(object.name)} CASCADE`);
  }
}
