// Builds the coordinator (database, store, log key, jobs, routes) without listening; server.ts starts it.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import { clearBackupStaging } from './backup/create.js';
import { CallerCache } from './ceremony/caller-cache.js';
import { listCeremonyIds } from './ceremony/ceremonies.js';
import { ChangeFeed } from './ceremony/change-feed.js';
import { circuitSetupJob } from './ceremony/circuits.js';
import { verifyContributionJob } from './ceremony/contributions.js';
import { finalizeJob } from './ceremony/finalize.js';
import { JobRunner } from './ceremony/jobs.js';
import { createMetrics, registerStateGauges } from './ceremony/metrics.js';
import { createScheduler } from './ceremony/scheduler.js';
import type { Services } from './ceremony/services.js';
import { StatusBoard } from './ceremony/status-board.js';
import { clearUploadClaims } from './ceremony/upload-claims.js';
import { joinCluster } from './cluster.js';
import type { Config } from './config.js';
import { openDatabase } from './db/database.js';
import { migrateDatabase } from './db/migrate.js';
import { registerErrorHandler } from './http/error-handler.js';
import { registerNulGuard } from './http/nul-guard.js';
import { registerRateLimits } from './http/rate-limit.js';
import { registerBodyDeadline, registerJsonDepthBound } from './http/request-bounds.js';
import { REDACTED_LOG_PATHS, registerRequestLog } from './http/request-log.js';
import { routes } from './http/routes/index.js';
import { opsRoutes } from './http/routes/ops.js';
import type { App } from './http/types.js';
import { openSigner, watchTokenKey } from './keys/open-signer.js';
import { StepService } from './snark/step-verify/step-service.js';
import { BlobStore } from './storage/blob-store.js';
import { lockDataDir } from './storage/data-dir-lock.js';
import { openBlobBackend } from './storage/open-blob-backend.js';
import { type LogSigner, loadLogSigner } from './transcript/log-key.js';
import { Publisher } from './transcript/publisher.js';
import { hasSignedLogs, requireLogKeyInForce } from './transcript/rotate-log-key.js';
import { PartialUploads } from './uploads/partial-uploads.js';
import { queueWitnessJob, witnessCosignJob } from './witness/cosign-job.js';

export interface BuiltApp {
  app: App;
  services: Services;
  publisher: Publisher;
  /** Names this process in job leases and in the scheduler lock's connection (`host:pid:random`). */
  instanceId: string;
}

export async function buildApp(config: Config): Promise<BuiltApp> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: REDACTED_LOG_PATHS,
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
    // Headers that trickle are cut at HEADERS_TIMEOUT_SECONDS (checked every second, not every 30 s); bodies at
    // REQUEST_BODY_SECONDS (request-bounds.ts) unless the route streams them.
    http: { headersTimeout: config.headersTimeoutSeconds * 1000, connectionsCheckingInterval: 1000 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The embedded database breaks (`Aborted()`) or forks under a second process: refuse that one before all else.
  const dirLock = config.databaseUrl === undefined ? await lockDataDir(config.dataDir) : undefined;
  // A key in a token is checked next: token away, wrong PIN, no such key or no CKM_EDDSA stop the start here, within
  // seconds, naming the URI.
  const logKey =
    config.logKey === undefined
      ? undefined
      : await openSigner(config.logKey).catch(async (err: unknown) => {
          await dirLock?.release();
          throw err;
        });
  watchTokenKey(logKey, app.log);
  const db = await openDatabase({
    url: config.databaseUrl,
    dataDir: join(config.dataDir, 'pgdata'),
    sharedBuffersMb: config.pgliteSharedBuffersMb,
    optimize: config.pgliteOptimize,
  });
  await migrateDatabase(db);
  const backend = await openBlobBackend(config.blobStore, config.dataDir, (err, what) =>
    app.log.error({ err }, what),
  );
  const store = new BlobStore(
    config.dataDir,
    { reserveBytes: config.diskReserveBytes, idleMs: config.uploadIdleSeconds * 1000 },
    backend,
  );
  // Only the embedded database is certainly this process's alone. The data dir is shared only by processes split into
  // roles (`api`, `worker`; docs/SCALING.md): then others may be writing temp files and staged backups in it.
  const alone = db.kind === 'pglite';
  const ownsDataDir = alone || config.role === 'all';
  const swept = await store.init({ shared: !ownsDataDir });
  if (swept > 0) app.log.warn({ swept }, 'removed temp files left by a previous run');
  if (ownsDataDir) await clearBackupStaging(config.dataDir);
  // A claim a killed run left would hold its turn for UPLOAD_CLAIM_SECONDS, though no upload can be in flight now.
  if (alone) await clearUploadClaims(db);
  let signer: LogSigner;
  try {
    signer = await loadLogSigner({
      origin: config.origin,
      originConfigured: config.originConfigured,
      dataDir: config.dataDir,
      key: logKey,
      mayCreate: !(await hasSignedLogs(db)),
    });
    await requireLogKeyInForce(db, signer);
    if (!config.originConfigured)
      app.log.warn(
        { origin: signer.name },
        `CEREMONY_ORIGIN is not set: logins and checkpoints name '${signer.name}' (kept in the data dir); ` +
          'participants must reach this coordinator by that host name, or their CLI refuses to log in',
      );
  } catch (err) {
    logKey?.close?.();
    await db.close();
    await dirLock?.release();
    throw err;
  }
  const metrics = createMetrics();

  let publisher: Publisher | undefined;
  let runner: JobRunner | undefined;
  // Only the scheduler's holder publishes transcript files, so two processes never write them at once.
  let leading = false;
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const changes = new ChangeFeed();
  const board = new StatusBoard(db, config.heartbeatIntervalSeconds);
  const changed = (id: string) => {
    // The board first, so the events stream's listeners read the committed change.
    board.invalidate(id);
    if (leading) publisher?.schedule(id);
    changes.notifyCeremony(id);
  };
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
    steps: { verifier: new StepService() },
    uploads: new PartialUploads(config.dataDir),
    clock: () => new Date(),
    log: app.log as Services['log'],
    events: {
      ceremonyChanged: (id) => {
        changed(id);
        cluster.announceChange(id);
        // After the commit and not awaited: a witness never slows an append (the minute sweep covers a crash here).
        queueWitnessJob(services, id).catch((err: unknown) =>
          app.log.warn({ err, ceremony: id }, 'queueing a witness job failed'),
        );
      },
      jobQueued: () => {
        runner?.wake();
        cluster.announceJob();
      },
    },
  };
  const scheduler = createScheduler(services, (err) => app.log.error({ err }, 'queue tick failed'));
  const publishAll = async () => {
    for (const id of await listCeremonyIds(db)) publisher?.schedule(id);
  };
  const cluster = joinCluster(config, db, instanceId, services.log, {
    onChange: (id) => {
      if (id !== undefined) return changed(id);
      board.invalidateAll();
      changes.notifyAll();
      if (leading) publishAll().catch((err: unknown) => app.log.error({ err }, 'listing ceremonies failed'));
    },
    onJobQueued: () => runner?.wake(),
    onLead: () => {
      leading = true;
      publisher?.forgetPublished();
      publishAll().catch((err: unknown) => app.log.error({ err }, 'listing ceremonies failed'));
      scheduler.start();
    },
    onFollow: () => {
      leading = false;
      scheduler.stop();
    },
  });
  publisher = new Publisher(db, store, signer, config.transcriptsDir, (err, id) =>
    app.log.error({ err, ceremony: id }, 'publishing transcript files failed'),
  );
  registerStateGauges(metrics, {
    db,
    dataDir: config.dataDir,
    publishedSize: (id) => publisher?.publishedSize(id),
    witnesses: config.witnesses.map((w) => w.key.vkey),
    witnessQuorum: config.witnessQuorum,
  });
  if (config.role !== 'api') {
    runner = new JobRunner(
      services,
      {
        'circuit.setup': circuitSetupJob,
        'contribution.verify': verifyContributionJob,
        'ceremony.finalize': finalizeJob,
        'witness.cosign': witnessCosignJob,
      },
      { workerId: instanceId, leaseMs: config.jobLeaseSeconds * 1000, freeLeasesAtStart: alone },
    );
  }

  // Large bodies (zkeys, r1cs, ptau) reach their route as a stream, never buffered.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  registerJsonDepthBound(app, config.jsonMaxDepth);
  registerErrorHandler(app);
  registerRateLimits(app, config);
  registerBodyDeadline(app, config.requestBodySeconds);
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
  // A worker answers only health and metrics: requests go to the API processes.
  for (const route of config.role === 'worker' ? [opsRoutes] : routes) route(app, services);

  app.addHook('onReady', async () => {
    await runner?.start();
    await cluster.start();
  });
  // Before the server waits for requests to end: a stalled upload must not hold shutdown open.
  app.addHook('preClose', async () => {
    await store.abortReceives();
  });
  app.addHook('onClose', async () => {
    await cluster.stop();
    await runner?.stop();
    services.steps.verifier.stop();
    await publisher?.stop();
    await db.close();
    await dirLock?.release();
    signer.key.close?.();
  });
  return { app, services, publisher, instanceId };
}
