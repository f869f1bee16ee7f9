// Database over embedded Postgres (PGlite): the default when no DATABASE_URL is given.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable } from './database.js';
import { seedFromTemplate } from './pglite-template.js';

/** Postgres's own default (128 MB of shared buffers) is most of an idle coordinator's memory; ours holds KBs a turn. */
export const DEFAULT_PGLITE_SHARED_BUFFERS_MB = 8;

export interface PgliteOptions {
  /** Shared buffers in MB (PGLITE_SHARED_BUFFERS_MB); resident once touched, for as long as the process runs. */
  sharedBuffersMb?: number;
  /**
   * Compile the engine with V8's baseline compiler only (PGLITE_OPTIMIZE=off, the default): the optimizing tier
   * would hold a second copy of its machine code, about 50 MB, for queries that are small and few.
   */
  optimize?: boolean;
}

export async function openPglite(dataDir?: string, options: PgliteOptions = {}): Promise<Database> {
  const sharedBuffersMb = options.sharedBuffersMb ?? DEFAULT_PGLITE_SHARED_BUFFERS_MB;
  if (!Number.isInteger(sharedBuffersMb) || sharedBuffersMb < 1)
    throw new RangeError(`openPglite: sharedBuffersMb must be a positive integer, got ${sharedBuffersMb}`);
  // Read by V8 when the engine's module is compiled; this process runs no other WebAssembly (snarkjs runs in children).
  if (options.optimize !== true) setFlagsFromString('--liftoff-only');
  if (dataDir) {
    await mkdir(dirname(dataDir), { recursive: true });
    await seedFromTemplate(dataDir);
    await mkdir(dataDir, { recursive: true });
  }
  const db = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffersMb}MB`],
  });

  return {
    kind: 'pglite',
    async query<T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]> {
      return (await db.query<T>(sql, params as unknown[])).rows;
    },
    // PGlite runs one transaction at a time, so other queries wait until this one ends.
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction(async (tx) =>
        fn({
          async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> {
            return (await tx.query<R>(sql, params as unknown[])).rows;
          },
        }),
      );
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
    async close(): Promise<void> {
      await db.close();
    },
  };
}
