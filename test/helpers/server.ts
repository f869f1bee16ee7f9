// A real coordinator listening on a loopback port, on a fresh database and data dir, for integration tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuiltApp, buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { generateKeyPair, type KeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { ROOMY_BUDGETS } from './budgets.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestServer {
  url: string;
  config: Config;
  built: BuiltApp;
  coordinator: KeyPair;
  dataDir: string;
  /** Stops the server; the database and data dir stay for a restart. */
  stop(): Promise<void>;
  /** Starts a new server on the same database, data dir and log key (as after a crash); `env` adds settings. */
  restart(env?: Record<string, string>): Promise<TestServer>;
  /** Stops the server and removes its database and files. */
  destroy(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  /** Keep the production request budgets (tests of the budgets); otherwise they are roomy (helpers/budgets.ts). */
  defaultBudgets?: boolean;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ceremony-test-'));
  const database = await createTestDatabase();
  return launch(dataDir, database, generateKeyPair(), options);
}

async function launch(
  dataDir: string,
  database: TestDatabase,
  coordinator: KeyPair,
  options: TestServerOptions,
): Promise<TestServer> {
  const config = loadConfig(
    {},
    {
      PORT: '0',
      DATA_DIR: dataDir,
      TRANSCRIPTS_DIR: join(dataDir, 'ceremony-transcripts'),
      COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
      CEREMONY_ORIGIN: 'test.ceremony.local',
      LOG_LEVEL: 'warn',
      SCHEDULER_INTERVAL_MS: '200',
      ...(options.defaultBudgets ? {} : ROOMY_BUDGETS),
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      ...options.env,
    },
  );
  const built = await buildApp(config);
  const url = await built.app.listen({ host: '127.0.0.1', port: 0 });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await built.app.close();
  };
  return {
    url,
    config,
    built,
    coordinator,
    dataDir,
    stop,
    restart: async (env) => {
      await stop();
      return launch(
        dataDir,
        database,
        coordinator,
        env ? { ...options, env: { ...options.env, ...env } } : options,
      );
    },
    destroy: async () => {
      await stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
