// Database over a real Postgres server through a `pg` pool.
import pg from 'pg';
import type { Database, Queryable } from './database.js';
import { isDatabaseUnavailable, mapDatabaseError } from './errors.js';

// Counters and sizes here stay far below 2^53, so int8 columns are read as numbers, as PGlite does.
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
} as pg.CustomTypesConfig;

/**
 * Readiness on a connection of its own, never a pooled one: a full pool must not make the probe wait, and a pooled
 * connection the server has dropped must not answer for it. Both connecting and the query are bounded.
 */
async function pingFresh(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function openPostgres(url: string): Promise<Database> {
  // A bounded wait for a connection: with the database away, requests answer 503 instead of hanging.
  const pool = new pg.Pool({ connectionString: url, types, max: 10, connectionTimeoutMillis: 10_000 });
  // A broken idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');

  const queryOn =
    (client: pg.Pool | pg.PoolClient) =>
    async <T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]> => {
      try {
        return (await client.query(sql, params as unknown[])).rows as T[];
      } catch (err) {
        throw mapDatabaseError(err);
      }
    };

  return {
    kind: 'postgres',
    query: queryOn(pool),
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max ?? 10,
    }),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect().catch((err: unknown) => {
        throw mapDatabaseError(err);
      });
      // A checked-out client has no listener of the pool's: without this one, a connection the server cuts while
      // the transaction awaits other work (a file, a child) emits an unhandled 'error' and kills the process.
      let broken: Error | undefined;
      const onError = (err: Error) => {
        broken ??= err;
      };
      client.on('error', onError);
      // One connection runs one statement at a time: statements a transaction issues together (Promise.all) are
      // sent one after the other here rather than left to pg's own queue (deprecated), and ROLLBACK waits for them.
      let tail: Promise<unknown> = Promise.resolve();
      const run = queryOn(client);
      const inTurn = <T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]> => {
        const next = tail.then(() => run<T>(sql, params));
        tail = next.catch(() => undefined);
        return next;
      };
      try {
        await inTurn('BEGIN');
        const result = await fn({ query: inTurn });
        await inTurn('COMMIT');
        return result;
      } catch (err) {
        await inTurn('ROLLBACK').catch(() => undefined);
        // A connection that broke under the transaction is why it failed, whatever the last query reported.
        throw mapDatabaseError(broken !== undefined && isDatabaseUnavailable(broken) ? broken : err);
      } finally {
        client.off('error', onError);
        // A broken connection is destroyed rather than handed to the next caller.
        client.release(broken);
      }
    },
    ping: (timeoutMs) => pingFresh(url, timeoutMs),
    async exec(sql: string): Promise<void> {
      await pool.query(sql);
    },
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
