// Applies the numbered SQL files in migrations/ in order, each in its own transaction, recorded in schema_migrations.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';

/** Versions of the migration files this build carries. */
export async function listMigrationVersions(dir = MIGRATIONS_DIR): Promise<number[]> {
  return (await readdir(dir)).flatMap((f) => {
    const match = fileName.exec(f);
    return match ? [Number(match[1])] : [];
  });
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

const fileName = /^(\d{3,})_[a-z0-9_-]+\.sql$/;

/** Applies every migration in `dir`, or only the versions in `only` (a restore rebuilds a backup's schema). */
export async function migrateDatabase(
  db: Database,
  dir = MIGRATIONS_DIR,
  only?: readonly number[],
): Promise<string[]> {
  const files = (await readdir(dir))
    .filter((f) => fileName.test(f))
    .filter((f) => only === undefined || only.includes(Number(fileName.exec(f)?.[1])))
    .sort();
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: string[] = [];
  for (const file of files) {
    const version = Number(fileName.exec(file)?.[1]);
    const sql = await readFile(join(dir, file), 'utf8');
    const didApply = await db.transaction(async (tx) => {
      // Serializes concurrent starts on one Postgres database; released at commit.
      await tx.query('SELECT pg_advisory_xact_lock(7426801)');
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version]);
      if (done.length > 0) return false;
      for (const statement of splitStatements(sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
      return true;
    });
    if (didApply) applied.push(file);
  }
  return applied;
}

/** Splits a migration into statements on `;` at line ends (no quoted semicolons; a function body stays on one line). */
function splitStatements(sql: string): string[] {
  return sql
    .replace(/--.*$/gm, '')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
