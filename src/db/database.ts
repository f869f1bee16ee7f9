// The one database interface the rest of the code sees; implemented over `pg` (Postgres) and PGlite (embedded).

export type Row = Record<string, unknown>;

export interface Queryable {
  /** Runs one parameterized statement and returns its rows. */
  query<T extends object = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** Connections of a client pool, for the operator's metrics. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Pool use; absent for the embedded database, which has one connection. */
  poolStats?(): PoolStats;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Throws unless the database answers within `timeoutMs`; absent where a bounded query says as much. */
  ping?(timeoutMs: number): Promise<void>;
  /** Runs a script of several statements with no parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens Postgres when a URL is given, else the embedded PGlite database in `dataDir` (or in memory). */
export async function openDatabase(options: {
  url?: string;
  dataDir?: string;
  /** Embedded database only: its shared buffers in MB (default 8). */
  sharedBuffersMb?: number;
  /** Embedded database only: compile it with V8's optimizing tier too (default off, about 50 MB more). */
  optimize?: boolean;
}): Promise<Database> {
  if (options.url) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(options.url);
  }
  const { openPglite } = await import('./pglite.js');
  return openPglite(options.dataDir, {
    sharedBuffersMb: options.sharedBuffersMb,
    optimize: options.optimize,
  });
}

/** Throws unless the database answers a trivial query within `timeoutMs` (readiness probe). */
export async function pingDatabase(db: Database, timeoutMs: number): Promise<void> {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new RangeError(`pingDatabase: timeoutMs must be a positive integer, got ${timeoutMs}`);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`pingDatabase: no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // PGlite answers in-process, but waits behind a running transaction: the race bounds that wait too.
    await Promise.race([db.ping ? db.ping(timeoutMs) : db.query('SELECT 1'), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
