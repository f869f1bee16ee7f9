// The domain without HTTP: real database (PGlite, or Postgres when DATABASE_URL is set), real store and log key,
// and a clock the test moves by hand, so queue rules run in milliseconds and never depend on timing.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { CallerCache } from '../../src/ceremony/caller-cache.js';
import { ChangeFeed } from '../../src/ceremony/change-feed.js';
import { createMetrics } from '../../src/ceremony/metrics.js';
import type { Services } from '../../src/ceremony/services.js';
import { StatusBoard } from '../../src/ceremony/status-board.js';
import { loadConfig } from '../../src/config.js';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { StepService } from '../../src/snark/step-verify/step-service.js';
import { BlobStore } from '../../src/storage/blob-store.js';
import { openBlobBackend } from '../../src/storage/open-blob-backend.js';
import { loadLogSigner } from '../../src/transcript/log-key.js';
import { PartialUploads } from '../../src/uploads/partial-uploads.js';
import { createTestDatabase } from './database.js';

export interface TestDomain {
  services: Services;
  coordinatorKey: string;
  /** Sets the clock to `seconds` after the test's epoch. */
  setClock(seconds: number): void;
  at(seconds: number): Date;
  close(): Promise<void>;
}

const epoch = Date.parse('2030-01-01T00:00:00Z');

export async function createTestDomain(env: Record<string, string> = {}): Promise<TestDomain> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ceremony-domain-'));
  const database = await createTestDatabase();
  const coordinatorKey = toHex(generateKeyPair().publicKey);
  const config = loadConfig({}, { DATA_DIR: dataDir, COORDINATOR_PUBLIC_KEYS: coordinatorKey, ...env });
  const db = await openDatabase(database.url ? { url: database.url } : {});
  await migrateDatabase(db);
  const store = new BlobStore(
    dataDir,
    { reserveBytes: config.diskReserveBytes, idleMs: config.uploadIdleSeconds * 1000 },
    await openBlobBackend(config.blobStore, dataDir, () => {}),
  );
  await store.init();
  const signer = await loadLogSigner({ origin: 'test.ceremony.local', dataDir, key: undefined });
  let now = epoch;
  const board = new StatusBoard(db, config.heartbeatIntervalSeconds);
  const services: Services = {
    db,
    store,
    config,
    signer,
    log: pino({ level: 'silent' }),
    metrics: createMetrics(),
    steps: { verifier: new StepService() },
    uploads: new PartialUploads(dataDir),
    clock: () => new Date(now),
    startedAt: new Date(epoch),
    changes: new ChangeFeed(),
    board,
    callers: new CallerCache(config.authCacheSeconds * 1000, config.authCacheEntries),
    events: { ceremonyChanged: (id) => board.invalidate(id), jobQueued: () => undefined },
  };
  return {
    services,
    coordinatorKey,
    setClock: (seconds) => {
      now = epoch + seconds * 1000;
    },
    at: (seconds) => new Date(epoch + seconds * 1000),
    close: async () => {
      services.steps.verifier.stop();
      await db.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
