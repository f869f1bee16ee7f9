// One fresh database per test file: a new Postgres database when DATABASE_URL is set, else PGlite in a temp dir.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** Postgres URL of the fresh database, or undefined for PGlite. */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.DATABASE_URL;
  if (!base) return { url: undefined, drop: async () => undefined };
  // CI names its run's databases (TEST_DATABASE_PREFIX) so that its clean-up drops only its own.
  const prefix = process.env.TEST_DATABASE_PREFIX ?? 'ceremony_test';
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(prefix))
    throw new Error(`TEST_DATABASE_PREFIX '${prefix}' is not a plain lowercase name`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
