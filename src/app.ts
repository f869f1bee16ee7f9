// Builds the coordinator (database, store, log key, jobs, routes) without listening; server.ts starts it.
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import { clearBackupStaging } from './backup/create.js';
import { purgeExpiredCredentials } from './ceremony/auth.js';
import { CallerCache } from './ceremony/caller-cache.js';
import { listCeremonyIds } from './ceremony/ceremonies.js';
import { ChangeFeed } from './ceremony/change-feed.js';
import { circuitSetupJob } from './ceremony/circuits.js';
import { verifyContributionJob } from './ceremony/contributions.js';
import { finalizeJob } from './ceremony/finalize.js';
import { JobRunner } from './ceremony/jobs.js';
import { createMetrics, registerStateGauges } from './ceremony/metrics.js';
import { tickQueues } from './ceremony/queue.js';
import type { Services } from './ceremony/services.js';
import { StatusBoard } from './ceremony/status-board.js';
import { settleDeadJobs } from './ceremony/sweeper.js';
import type { Config } from './config.js';
import { openDatabase } from './db/database.js';
import { migrateDatabase } from './db/migrate.js';
import { registerErrorHandler } from './http/error-handler.js';
import { registerNulGuard } from './http/nul-guard.js';
import { registerRateLimits } from './http/rate-limit.js';
import { registerRequestLog } from './http/request-log.js';
import { routes } from './http/routes/index.js';
import type { App } from './http/types.js';
import { StepService } from './snark/step-verify/step-service.js';
import { BlobStore } from './storage/blob-store.js';
import { loadLogSigner } from './transcript/log-key.js';
import { Publisher } from './transcript/publisher.js';

export interface BuiltApp {
  app: App;
  services: Services;
  publisher: Publisher;
}

export async function buildApp(config: Config): Promise<BuiltApp> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: [
        'req.headers.authorization',
        'req.headers["x-ceremony-attestation"]',
        'req.headers["x-ceremony-statement"]',
      ],
      // Logs go to stderr so that stdout stays for command results (`--json`).
      stream: process.stderr,
    },
    // One line per request instead of two (request-log.ts), reads sampled.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    trustProxy: false,
    // A socket silent for longer than an upload may stall is closed; uploads enforce their own idle timer first.
    connectionTimeout: (config.uploadIdleSeconds + 30) * 1000,
    // No whole-request cap: a zkey upload may rightly take hours; its idle timer and the turn's deadline bound it.
    requestTimeout: 0,
    keepAliveTimeout: 10_000,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const db = await openDatabase({ url: config.databaseUrl, dataDir: join(config.dataDir, 'pgdata') });
  await migrateDatabase(db);
  const store = new BlobStore(config.dataDir, {
    reserveBytes: config.diskReserveBytes,
    idleMs: config.uploadIdleSeconds * 1000,
  });
  const swept = await store.init();
  if (swept > 0) app.log.warn({ swept }, 'removed temp files left by a previous run');
  await clearBackupStaging(config.dataDir);
  const signer = await loadLogSigner({
    origin: config.origin,
    originConfigured: config.originConfigured,
    dataDir: config.dataDir,
    seedHex: config.logKeySeedHex,
  });
  const metrics = createMetrics();

  let publisher: Publisher | undefined;
  let runner: JobRunner | undefined;
  const changes = new ChangeFeed();
  const board = new StatusBoard(db, config.heartbeatIntervalSeconds);
  const services: Services = {
    startedAt: new Date(),
    db,
    store,
    config,
    signer,
    metrics,
    changes,
    board,
    callers: new CallerCache(config.authCacheSeconds * 1000, config.authCacheEntries),
    transcripts: {
      published: (id) => publisher?.publishedTranscript(id),
      settle: async (id) => publisher?.settle(id),
    },
    steps: { verifier: new StepService(), passed: new Set() },
    clock: () => new Date(),
    log: app.log as Services['log'],
    events: {
      ceremonyChanged: (id) => {
        // The board first, so the events stream's listeners read the committed change.
        board.invalidate(id);
        publisher?.schedule(id);
        changes.notifyCeremony(id);
      },
      jobQueued: () => runner?.wake(),
    },
  };
  publisher = new Publisher(db, store, signer, config.transcriptsDir, (err, id) =>
    app.log.error({ err, ceremony: id }, 'publishing transcript files failed'),
  );
  registerStateGauges(metrics, {
    db,
    dataDir: config.dataDir,
    publishedSize: (id) => publisher?.publishedSize(id),
  });
  runner = new JobRunner(services, {
    'circuit.setup': circuitSetupJob,
    'contribution.verify': verifyContributionJob,
    'ceremony.finalize': finalizeJob,
  });

  // Large bodies (zkeys, r1cs, ptau) reach their route as a stream, never buffered.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  registerErrorHandler(app);
  registerRateLimits(app, config);
  registerNulGuard(app);
  registerRequestLog(app, config.logSampleReads);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Ceremony Coordinator',
        version: '1',
        description: 'Groth16 phase-2 ceremonies with a signed Merkle transcript',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  for (const route of routes) route(app, services);

  let tickRunning = false;
  let ticks = 0;
  const purgeEveryTicks = Math.max(1, Math.round(60_000 / config.schedulerIntervalMs));
  const ticker = setInterval(() => {
    if (tickRunning) return;
    tickRunning = true;
    ticks += 1;
    // Deadlines every tick; dead jobs every 5 (a cheap query); credentials and stale uploads about once a minute.
    const everyMinute = ticks % purgeEveryTicks === 0;
    const work = Promise.all([
      tickQueues(services),
      ticks % 5 === 0 ? settleDeadJobs(services) : undefined,
      everyMinute ? purgeExpiredCredentials(services) : undefined,
      everyMinute ? store.sweepStaleParts() : undefined,
      // PGlite has no autovacuum: without fresh statistics its planner walks every turn instead of using an index.
      everyMinute && db.kind === 'pglite' ? db.exec('ANALYZE turns, participants, contributions') : undefined,
    ]);
    work
      .catch((err: unknown) => app.log.error({ err }, 'queue tick failed'))
      .finally(() => {
        tickRunning = false;
      });
  }, config.schedulerIntervalMs);
  ticker.unref();

  app.addHook('onReady', async () => {
    await runner?.start();
    for (const id of await listCeremonyIds(db)) publisher?.schedule(id);
  });
  // Before the server waits for requests to end: a stalled upload must not hold shutdown open.
  app.addHook('preClose', async () => {
    await store.abortReceives();
  });
  app.addHook('onClose', async () => {
    clearInterval(ticker);
    await runner?.stop();
    services.steps.verifier.stop();
    await publisher?.stop();
    await db.close();
  });
  return { app, services, publisher };
}
