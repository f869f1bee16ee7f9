// The database snapshot on real PGlite: every row, type and sequence comes back exactly, tables load in foreign-key
// order, and a snapshot cut short is refused.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openPglite } from '../../src/db/pglite.js';
import {
  loadDatabaseSnapshot,
  orderTablesByDependency,
  writeDatabaseSnapshot,
} from '../../src/db/snapshot.js';

const schema = `
  CREATE TABLE parents (id bigserial PRIMARY KEY, big bigint NOT NULL, at timestamptz NOT NULL, doc jsonb,
    note text, raw bytea);
  CREATE TABLE children (id integer PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parents (id));
  CREATE TABLE aardvarks (id integer PRIMARY KEY, child_id integer REFERENCES children (id));
  CREATE SEQUENCE counter;
`;

describe('database snapshot', () => {
  let dir: string;
  let source: Database;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapshot-'));
    source = await openPglite();
    await source.exec(schema);
    // More rows than one cursor fetch, with values JSON handles badly: beyond 2^53, newlines, quotes, bytes.
    await source.exec(`INSERT INTO parents (big, at, doc, note, raw)
      SELECT 9007199254740993, timestamptz '2026-01-01 00:00:00.123456+00' + i * interval '1 ms',
        jsonb_build_object('n', i, 'nested', jsonb_build_array('a', null)),
        CASE WHEN i % 2 = 1 THEN E'line\\nbreak "quoted" }' END, decode('00ff', 'hex') || int4send(i)
      FROM generate_series(1, 1203) AS i`);
    await source.exec(`INSERT INTO children VALUES (1, 1), (2, 1203);
      INSERT INTO aardvarks VALUES (1, 2); SELECT setval('counter', 41, true);`);
  });
  afterAll(async () => {
    await source.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('orders referenced tables first and refuses a cycle', () => {
    const refs = [
      { table: 'children', referenced: 'parents' },
      { table: 'aardvarks', referenced: 'children' },
    ];
    expect(orderTablesByDependency(['aardvarks', 'children', 'parents'], refs)).toEqual([
      'parents',
      'children',
      'aardvarks',
    ]);
    expect(() =>
      orderTablesByDependency(
        ['a', 'b'],
        [
          { table: 'a', referenced: 'b' },
          { table: 'b', referenced: 'a' },
        ],
      ),
    ).toThrow(/cycle/);
  });

  it('round-trips every row, value and sequence into an empty database of the same schema', async () => {
    const path = join(dir, 'db.ndjson');
    const summary = await writeDatabaseSnapshot(source, path);
    expect(summary.rows).toBe(1206);
    expect(summary.header.tables).toEqual(['parents', 'children', 'aardvarks']);

    const target = await openPglite();
    try {
      await target.exec(schema);
      await target.transaction((tx) => loadDatabaseSnapshot(tx, path));
      const dump = (db: Database, table: string) =>
        db.query<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM ${table} t ORDER BY id`);
      for (const table of ['parents', 'children', 'aardvarks'])
        expect(await dump(target, table)).toEqual(await dump(source, table));
      // Sequences continue where they were: the next serial id is not reused.
      const [next] = await target.query<{ id: number }>(
        'INSERT INTO parents (big, at) VALUES (1, now()) RETURNING id',
      );
      expect(next?.id).toBe(1204);
      expect(await target.query("SELECT nextval('counter')::int AS n")).toEqual([{ n: 42 }]);
    } finally {
      await target.close();
    }
  });

  it('refuses a snapshot cut short', async () => {
    const path = join(dir, 'whole.ndjson');
    await writeDatabaseSnapshot(source, path);
    const lines = (await readFile(path, 'utf8')).split('\n');
    const cut = join(dir, 'cut.ndjson');
    await writeFile(cut, `${lines.slice(0, 600).join('\n')}\n`);
    const target = await openPglite();
    try {
      await target.exec(schema);
      await expect(target.transaction((tx) => loadDatabaseSnapshot(tx, cut))).rejects.toThrow(/incomplete/);
      expect(await target.query('SELECT count(*)::int AS n FROM parents')).toEqual([{ n: 0 }]);
    } finally {
      await target.close();
    }
  });
});
