// What a refused request must leave alone: every public table's rows, digested (contents, not counts, so an UPDATE
// on a refused request shows too).
import type { Queryable } from '../../src/db/database.js';

/** Returns a function that digests every row of every public table, comparable as a string. */
export async function tableDigester(db: Queryable): Promise<() => Promise<string>> {
  const tables = (
    await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
       ORDER BY table_name`,
    )
  ).map((t) => t.table_name);
  const sql = tables
    .map(
      (t) =>
        `SELECT '${t}' AS t, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS digest FROM ${t} x`,
    )
    .join(' UNION ALL ');
  return async () => JSON.stringify(await db.query(sql));
}
