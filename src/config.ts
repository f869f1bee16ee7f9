// Server configuration: parsed and checked once at boot into a frozen object passed to buildApp.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePublicKey } from './crypto/ed25519.js';
import { checkKeySpec } from './keys/key-spec.js';
import { parseWitnessList, type WitnessEndpoint } from './witness/witness-list.js';

/** Route groups with their own request budget. */
export const LIMIT_CLASSES = ['auth', 'register', 'queue', 'heartbeat', 'cosignature', 'upload'] as const;
export type LimitClass = (typeof LIMIT_CLASSES)[number];

/** Requests per minute one address, and one key, may make to a group of routes. */
export interface LimitRule {
  readonly perIp: number;
  readonly perKey: number;
}

// Generous for honest clients (a heartbeat every 5 s is 12 a minute), tight enough to stop floods and loops.
const DEFAULT_LIMITS: Record<LimitClass, LimitRule> = {
  auth: { perIp: 60, perKey: 10 },
  register: { perIp: 20, perKey: 5 },
  queue: { perIp: 120, perKey: 12 },
  heartbeat: { perIp: 1200, perKey: 36 },
  cosignature: { perIp: 240, perKey: 30 },
  upload: { perIp: 60, perKey: 10 },
};

/** The S3-compatible bucket of `BLOB_STORE=s3`. */
export interface S3Config {
  /** Left out for AWS itself; set for any other S3-compatible server. */
  readonly endpoint: string | undefined;
  readonly bucket: string;
  readonly region: string;
  /** Left out: the SDK's default chain (environment, shared files, instance role). */
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  readonly forcePathStyle: boolean;
  /** Prepended to every key (`<prefix><sha256>`), so one bucket can serve several coordinators. */
  readonly prefix: string;
  /** Multipart part size; one put holds two parts in memory at most. */
  readonly partBytes: number;
  /** Bound of the local copies of blobs kept for snarkjs and the verifiers (least recently used evicted). */
  readonly cacheBytes: number;
  /** `GET …/zkeys/:index` answers 302 to a presigned URL instead of streaming the zkey. */
  readonly presignDownloads: boolean;
  readonly presignExpirySeconds: number;
}

export type BlobStoreConfig = { readonly kind: 'fs' } | ({ readonly kind: 's3' } & S3Config);

/** What a process does: serve the API, run jobs, or both (the only role the embedded database allows). */
export const ROLES = ['all', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];

export interface Config {
  /** `api` serves requests and runs no jobs; `worker` runs jobs and serves only health and metrics. */
  readonly role: Role;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly transcriptsDir: string;
  /** Postgres URL; when absent the embedded PGlite database under dataDir is used. */
  readonly databaseUrl: string | undefined;
  readonly coordinatorKeys: readonly string[];
  /** Checkpoint origin prefix and log key name: `<origin>/ceremonies/<id>`. */
  readonly origin: string;
  /** False when the origin is only the host name default: a data dir that already has one keeps its own. */
  readonly originConfigured: boolean;
  /** The checkpoint signing key: a key file or a PKCS#11 URI; when absent, dataDir/log-key (created at first start). */
  readonly logKey: string | undefined;
  readonly heartbeatIntervalSeconds: number;
  /** A queued participant silent for longer than this loses their place (and an active turn). */
  readonly heartbeatGraceSeconds: number;
  readonly tokenTtlSeconds: number;
  readonly nonceTtlSeconds: number;
  readonly maxBlobBytes: number;
  /** Uploads and blob puts are refused while the data dir's file system has fewer free bytes than this. */
  readonly diskReserveBytes: number;
  /** An upload that sends nothing for this long is cut and its temp file removed. */
  readonly uploadIdleSeconds: number;
  /** JSON bodies nested deeper than this (arrays and objects) are refused before they are parsed. */
  readonly jsonMaxDepth: number;
  /** A request's headers must all arrive within this long, or the connection is closed. */
  readonly headersTimeoutSeconds: number;
  /** A JSON (or any non-streamed) body must all arrive within this long of its headers, or the connection is closed. */
  readonly requestBodySeconds: number;
  /** Live bearer tokens one key may hold; a login beyond it ends the key's oldest token. */
  readonly maxTokensPerKey: number;
  /** Embedded database only: its shared buffers in MB, resident once touched (PGLITE_SHARED_BUFFERS_MB). */
  readonly pgliteSharedBuffersMb: number;
  /** Embedded database only: compile it with V8's optimizing tier too (PGLITE_OPTIMIZE=on; about 50 MB more). */
  readonly pgliteOptimize: boolean;
  /** `/readyz` is red when the database does not answer a fresh connection's `SELECT 1` within this long. */
  readonly readyTimeoutMs: number;
  /** SIGTERM: connections still open after this long are closed outright. */
  readonly shutdownGraceSeconds: number;
  readonly verifyConcurrency: number;
  /** Every Nth contribution is also checked with snarkjs verifyFromInit, besides the incremental step check. */
  readonly crossCheckEvery: number;
  /**
   * Test only: the step verifier's refusals are ignored, so a bad file reaches the snarkjs cross-check (tests of a
   * verifier disagreement). `TEST_ONLY_STEP_VERIFIER_ACCEPTS_ALL=on` is refused unless the process runs under the
   * test runner (NODE_ENV=test).
   */
  readonly testOnlyStepVerifierAcceptsAll: boolean;
  /** A snarkjs child (setup, verification, beacon) running longer than this is killed. */
  readonly jobTimeoutSeconds: number;
  /** A failed job waits this long before its second try, twice as long before its third. */
  readonly jobRetryDelayMs: number;
  /** A claimed job is held this long without a heartbeat; another worker takes it only after that. */
  readonly jobLeaseSeconds: number;
  /** An upload's hold on its turn lasts this long without renewal (a killed API process frees it after that). */
  readonly uploadClaimSeconds: number;
  readonly schedulerIntervalMs: number;
  /** How often the scheduler clears expired credentials and claims, stale temp files and ended turns' partial uploads. */
  readonly sweepIntervalSeconds: number;
  readonly logLevel: string;
  /** One in this many successful reads (GET) logs a line at info; writes and errors always do; 0 logs no reads. */
  readonly logSampleReads: number;
  /** Open events streams (Server-Sent Events) allowed in all, and from one client address. */
  readonly eventsMaxConnections: number;
  readonly eventsMaxPerAddress: number;
  /** Turns and uploads GET /v1/ceremonies/:id/activity returns at most (each list, the newest). */
  readonly activityMaxItems: number;
  /** Seconds between keep-alive comments on an idle events stream. */
  readonly eventsKeepAliveSeconds: number;
  /** Circuits of at most this many constraints may be contributed from the web page; 0 turns that off. */
  readonly webContributeMaxConstraints: number;
  /** Per-minute budgets per route group; null when `RATE_LIMIT=off` (loopback load benchmarks). */
  readonly rateLimits: Readonly<Record<LimitClass, LimitRule>> | null;
  /** A checked bearer token is trusted this long by the status and heartbeat routes without a database read. */
  readonly authCacheSeconds: number;
  /** Most tokens kept in that cache (least recently used go first). */
  readonly authCacheEntries: number;
  /** A participant who left the queue may join again only this long after. */
  readonly rejoinCooldownSeconds: number;
  /** A request for an act that needs M approvals expires this long after its first approval. */
  readonly approvalTtlSeconds: number;
  /** Requests waiting for approvals at once in one ceremony (each holds a row until done, withdrawn or expired). */
  readonly approvalMaxPending: number;
  /** Where blobs (r1cs, ptau, zkeys, exports) rest: the data dir, or an S3-compatible bucket. */
  readonly blobStore: BlobStoreConfig;
  /** Witnesses asked to cosign every checkpoint (`--witnesses FILE`/`WITNESSES_FILE`); none by default. */
  readonly witnesses: readonly WitnessEndpoint[];
  /** Cosignatures a checkpoint needs to count as witnessed (the lag metric, `contribute`'s wait). */
  readonly witnessQuorum: number;
  /** One add-checkpoint request to a witness is abandoned after this long. */
  readonly witnessTimeoutMs: number;
}

export type Flags = Record<string, string | string[] | boolean | undefined>;

function pick(flags: Flags, env: NodeJS.ProcessEnv, flag: string, envName: string): string | undefined {
  const value = flags[flag];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length > 0) return value.join(',');
  const fromEnv = env[envName];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

export function integer(
  raw: string | undefined,
  fallback: number,
  what: string,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`config: ${what} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return n;
}

/** `RATE_LIMIT_<GROUP>=<per IP>/<per key>` (per minute) overrides a group's default; `RATE_LIMIT=off` drops all. */
function parseRateLimits(
  env: NodeJS.ProcessEnv,
  heartbeatIntervalSeconds: number,
): Record<LimitClass, LimitRule> | null {
  const switch_ = env.RATE_LIMIT ?? 'on';
  if (switch_ === 'off') return null;
  if (switch_ !== 'on') throw new Error(`config: RATE_LIMIT must be 'on' or 'off', got '${switch_}'`);
  // A key may heartbeat three times as often as asked (retries, a second terminal) before it is refused.
  const heartbeat = { ...DEFAULT_LIMITS.heartbeat, perKey: Math.ceil(180 / heartbeatIntervalSeconds) };
  const limits = { ...DEFAULT_LIMITS, heartbeat };
  for (const group of LIMIT_CLASSES) {
    const name = `RATE_LIMIT_${group.toUpperCase()}`;
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const match = /^(\d{1,7})\/(\d{1,7})$/.exec(raw);
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1)
      throw new Error(
        `config: ${name} must be '<per IP>/<per key>' requests a minute, both ≥ 1, got '${raw}'`,
      );
    limits[group] = { perIp: Number(match[1]), perKey: Number(match[2]) };
  }
  return Object.freeze(limits);
}

/** A switch that weakens a safety check: only the test runner may turn it on, never a deployed process. */
function testOnlySwitch(raw: string | undefined): boolean {
  const on = onOff(raw, false, 'TEST_ONLY_STEP_VERIFIER_ACCEPTS_ALL');
  if (on && process.env.NODE_ENV !== 'test') {
    throw new Error('config: TEST_ONLY_STEP_VERIFIER_ACCEPTS_ALL is for tests only (NODE_ENV=test)');
  }
  return on;
}

function onOff(raw: string | undefined, fallback: boolean, name: string): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new Error(`config: ${name} must be 'on' or 'off', got '${raw}'`);
}

/** `BLOB_STORE=fs|s3` and, for s3, the bucket's `S3_*` settings (also read by `ceremony restore`). */
export function loadBlobStoreConfig(env: NodeJS.ProcessEnv): BlobStoreConfig {
  const kind = env.BLOB_STORE || 'fs';
  if (kind === 'fs') return Object.freeze({ kind: 'fs' });
  if (kind !== 's3') throw new Error(`config: BLOB_STORE must be 'fs' or 's3', got '${kind}'`);
  const bucket = env.S3_BUCKET ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new Error(
      `config: BLOB_STORE=s3 needs S3_BUCKET, a bucket name of 3 to 63 characters, got '${bucket}'`,
    );
  const accessKeyId = env.S3_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined))
    throw new Error('config: give both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither');
  const endpoint = env.S3_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint))
    throw new Error(`config: S3_ENDPOINT must be an http(s) URL, got '${endpoint}'`);
  const prefix = env.S3_PREFIX ?? '';
  if (!/^[A-Za-z0-9._/-]{0,200}$/.test(prefix))
    throw new Error('config: S3_PREFIX may hold only letters, digits and . _ / - (200 at most)');
  return Object.freeze({
    kind: 's3',
    endpoint,
    bucket,
    region: env.S3_REGION || 'us-east-1',
    accessKeyId,
    secretAccessKey,
    forcePathStyle: onOff(env.S3_FORCE_PATH_STYLE, endpoint !== undefined, 'S3_FORCE_PATH_STYLE'),
    prefix,
    partBytes: integer(env.S3_PART_BYTES, 8 * 1024 ** 2, 'S3 part bytes', 5 * 1024 ** 2, 5 * 1024 ** 3),
    cacheBytes: integer(env.BLOB_CACHE_BYTES, 16 * 1024 ** 3, 'blob cache bytes', 0, 2 ** 50),
    presignDownloads: onOff(env.S3_PRESIGN_DOWNLOADS, false, 'S3_PRESIGN_DOWNLOADS'),
    presignExpirySeconds: integer(env.S3_PRESIGN_EXPIRY_SECONDS, 300, 'S3 presign expiry', 10, 3600),
  } as const);
}

/** Reads flags (CLI names, e.g. `data-dir`) first, then environment variables, then defaults. */
export function loadConfig(flags: Flags, env: NodeJS.ProcessEnv): Config {
  const keys = (pick(flags, env, 'coordinator', 'COORDINATOR_PUBLIC_KEYS') ?? '')
    .split(',')
    .map((k) => k.trim().toLowerCase())
    .filter((k) => k.length > 0);
  for (const key of keys) {
    try {
      parsePublicKey(key);
    } catch (err) {
      throw new Error(`config: coordinator key ${key}: ${(err as Error).message}`);
    }
  }
  const configuredOrigin = pick(flags, env, 'origin', 'CEREMONY_ORIGIN');
  const origin = configuredOrigin ?? hostname();
  if (/[\s+]/.test(origin) || origin.length === 0)
    throw new Error(`config: origin must not hold spaces or '+'`);
  const dataDir = resolve(pick(flags, env, 'data-dir', 'DATA_DIR') ?? './data');
  const heartbeatIntervalSeconds = integer(
    pick(flags, env, 'heartbeat-interval', 'HEARTBEAT_INTERVAL_SECONDS'),
    5,
    'heartbeat interval',
    1,
    3600,
  );
  const role = pick(flags, env, 'role', 'ROLE') ?? 'all';
  if (!(ROLES as readonly string[]).includes(role))
    throw new Error(`config: role must be one of ${ROLES.join(', ')}, got '${role}'`);
  const databaseUrl = pick(flags, env, 'database-url', 'DATABASE_URL');
  if (role !== 'all' && databaseUrl === undefined)
    throw new Error(
      `config: role '${role}' needs PostgreSQL (DATABASE_URL): the embedded database serves one process, role 'all'`,
    );
  return Object.freeze({
    role: role as Role,
    host: pick(flags, env, 'host', 'HOST') ?? '127.0.0.1',
    port: integer(pick(flags, env, 'port', 'PORT'), 8080, 'port', 0, 65535),
    dataDir,
    // Inside the data dir by default: a coordinator started in a clone must not write into its committed folder.
    transcriptsDir: resolve(
      pick(flags, env, 'transcripts-dir', 'TRANSCRIPTS_DIR') ?? join(dataDir, 'transcripts'),
    ),
    databaseUrl,
    coordinatorKeys: Object.freeze(keys),
    origin,
    originConfigured: configuredOrigin !== undefined,
    logKey: checkKeySpec(pick(flags, env, 'log-key', 'LOG_KEY'), 'config: --log-key/LOG_KEY'),
    heartbeatIntervalSeconds,
    heartbeatGraceSeconds: integer(
      pick(flags, env, 'heartbeat-grace', 'HEARTBEAT_GRACE_SECONDS'),
      Math.max(30, heartbeatIntervalSeconds * 6),
      'heartbeat grace',
      heartbeatIntervalSeconds,
      86400,
    ),
    tokenTtlSeconds: integer(env.TOKEN_TTL_SECONDS, 3600, 'token TTL', 60, 86400 * 7),
    nonceTtlSeconds: integer(env.NONCE_TTL_SECONDS, 120, 'nonce TTL', 5, 3600),
    maxBlobBytes: integer(env.MAX_BLOB_BYTES, 4 * 1024 ** 3, 'max blob bytes', 1024, 2 ** 42),
    diskReserveBytes: integer(env.DISK_RESERVE_BYTES, 1024 ** 3, 'disk reserve bytes', 0, 2 ** 50),
    uploadIdleSeconds: integer(env.UPLOAD_IDLE_SECONDS, 60, 'upload idle timeout', 1, 3600),
    jsonMaxDepth: integer(env.JSON_MAX_DEPTH, 32, 'JSON max depth', 4, 1000),
    headersTimeoutSeconds: integer(env.HEADERS_TIMEOUT_SECONDS, 20, 'headers timeout', 1, 600),
    requestBodySeconds: integer(env.REQUEST_BODY_SECONDS, 30, 'request body timeout', 1, 3600),
    maxTokensPerKey: integer(env.MAX_TOKENS_PER_KEY, 16, 'max tokens per key', 1, 10000),
    pgliteSharedBuffersMb: integer(env.PGLITE_SHARED_BUFFERS_MB, 8, 'embedded shared buffers MB', 1, 65536),
    pgliteOptimize: onOff(env.PGLITE_OPTIMIZE, false, 'PGLITE_OPTIMIZE'),
    readyTimeoutMs: integer(env.READY_TIMEOUT_MS, 2000, 'readiness timeout', 100, 60_000),
    shutdownGraceSeconds: integer(env.SHUTDOWN_GRACE_SECONDS, 5, 'shutdown grace', 1, 300),
    verifyConcurrency: integer(env.VERIFY_CONCURRENCY, 1, 'verify concurrency', 1, 64),
    crossCheckEvery: integer(env.CROSS_CHECK_EVERY, 10, 'cross-check interval', 1, 1_000_000),
    testOnlyStepVerifierAcceptsAll: testOnlySwitch(env.TEST_ONLY_STEP_VERIFIER_ACCEPTS_ALL),
    jobTimeoutSeconds: integer(env.JOB_TIMEOUT_SECONDS, 3600, 'job timeout', 10, 7 * 86400),
    jobRetryDelayMs: integer(env.JOB_RETRY_DELAY_MS, 2000, 'job retry delay', 0, 3_600_000),
    jobLeaseSeconds: integer(env.JOB_LEASE_SECONDS, 30, 'job lease', 3, 3600),
    uploadClaimSeconds: integer(env.UPLOAD_CLAIM_SECONDS, 30, 'upload claim', 3, 3600),
    schedulerIntervalMs: integer(env.SCHEDULER_INTERVAL_MS, 1000, 'scheduler interval', 50, 60000),
    sweepIntervalSeconds: integer(env.SWEEP_INTERVAL_SECONDS, 60, 'sweep interval', 1, 3600),
    logLevel: pick(flags, env, 'log-level', 'LOG_LEVEL') ?? 'info',
    logSampleReads: integer(env.LOG_SAMPLE_READS, 100, 'read log sample', 0, 1_000_000),
    eventsMaxConnections: integer(env.EVENTS_MAX_CONNECTIONS, 1000, 'events max connections', 1, 100000),
    eventsMaxPerAddress: integer(env.EVENTS_MAX_PER_ADDRESS, 8, 'events max per address', 1, 10000),
    activityMaxItems: integer(env.ACTIVITY_MAX_ITEMS, 2000, 'activity max items', 1, 100_000),
    eventsKeepAliveSeconds: integer(env.EVENTS_KEEPALIVE_SECONDS, 15, 'events keep-alive', 1, 3600),
    webContributeMaxConstraints: integer(
      env.WEB_CONTRIBUTE_MAX_CONSTRAINTS,
      2 ** 16,
      'web contribution max constraints',
      0,
      2 ** 28,
    ),
    rateLimits: parseRateLimits(env, heartbeatIntervalSeconds),
    authCacheSeconds: integer(env.AUTH_CACHE_SECONDS, 10, 'auth cache seconds', 0, 3600),
    authCacheEntries: integer(env.AUTH_CACHE_ENTRIES, 100_000, 'auth cache entries', 0, 10_000_000),
    rejoinCooldownSeconds: integer(env.REJOIN_COOLDOWN_SECONDS, 30, 'rejoin cool-down', 0, 86400),
    approvalTtlSeconds: integer(env.APPROVAL_TTL_SECONDS, 7 * 86400, 'approval TTL', 60, 90 * 86400),
    approvalMaxPending: integer(env.APPROVAL_MAX_PENDING, 16, 'approval max pending', 1, 1000),
    blobStore: loadBlobStoreConfig(env),
    ...loadWitnesses(flags, env),
  });
}

function loadWitnesses(
  flags: Flags,
  env: NodeJS.ProcessEnv,
): Pick<Config, 'witnesses' | 'witnessQuorum' | 'witnessTimeoutMs'> {
  const file = pick(flags, env, 'witnesses', 'WITNESSES_FILE');
  let witnesses: WitnessEndpoint[] = [];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`config: cannot read the witness list ${file}: ${(err as Error).message}`);
    }
    try {
      witnesses = parseWitnessList(text, file);
    } catch (err) {
      throw new Error(`config: ${(err as Error).message}`);
    }
  }
  const witnessQuorum = integer(
    pick(flags, env, 'witness-quorum', 'WITNESS_QUORUM'),
    Math.min(1, witnesses.length),
    'witness quorum',
    0,
    witnesses.length,
  );
  return Object.freeze({
    witnesses: Object.freeze(witnesses),
    witnessQuorum,
    witnessTimeoutMs: integer(env.WITNESS_TIMEOUT_MS, 10_000, 'witness timeout', 100, 600_000),
  });
}
