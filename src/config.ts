// Server configuration: parsed and checked once at boot into a frozen object passed to buildApp.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parsePublicKey } from './crypto/ed25519.js';

export interface Config {
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
  /** Hex seed of the checkpoint signing key; when absent it is read from (or created in) dataDir/log-key. */
  readonly logKeySeedHex: string | undefined;
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
  /** SIGTERM: connections still open after this long are closed outright. */
  readonly shutdownGraceSeconds: number;
  readonly verifyConcurrency: number;
  /** A snarkjs child (setup, verification, beacon) running longer than this is killed. */
  readonly jobTimeoutSeconds: number;
  /** A failed job waits this long before its second try, twice as long before its third. */
  readonly jobRetryDelayMs: number;
  readonly schedulerIntervalMs: number;
  readonly logLevel: string;
  /** Open events streams (Server-Sent Events) allowed in all, and from one client address. */
  readonly eventsMaxConnections: number;
  readonly eventsMaxPerAddress: number;
  /** Seconds between keep-alive comments on an idle events stream. */
  readonly eventsKeepAliveSeconds: number;
}

export type Flags = Record<string, string | string[] | boolean | undefined>;

function pick(flags: Flags, env: NodeJS.ProcessEnv, flag: string, envName: string): string | undefined {
  const value = flags[flag];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length > 0) return value.join(',');
  const fromEnv = env[envName];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function integer(raw: string | undefined, fallback: number, what: string, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`config: ${what} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return n;
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
  return Object.freeze({
    host: pick(flags, env, 'host', 'HOST') ?? '127.0.0.1',
    port: integer(pick(flags, env, 'port', 'PORT'), 8080, 'port', 0, 65535),
    dataDir,
    transcriptsDir: resolve(
      pick(flags, env, 'transcripts-dir', 'TRANSCRIPTS_DIR') ?? './ceremony-transcripts',
    ),
    databaseUrl: pick(flags, env, 'database-url', 'DATABASE_URL'),
    coordinatorKeys: Object.freeze(keys),
    origin,
    originConfigured: configuredOrigin !== undefined,
    logKeySeedHex: pick(flags, env, 'log-key', 'LOG_KEY'),
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
    shutdownGraceSeconds: integer(env.SHUTDOWN_GRACE_SECONDS, 5, 'shutdown grace', 1, 300),
    verifyConcurrency: integer(env.VERIFY_CONCURRENCY, 1, 'verify concurrency', 1, 64),
    jobTimeoutSeconds: integer(env.JOB_TIMEOUT_SECONDS, 3600, 'job timeout', 10, 7 * 86400),
    jobRetryDelayMs: integer(env.JOB_RETRY_DELAY_MS, 2000, 'job retry delay', 0, 3_600_000),
    schedulerIntervalMs: integer(env.SCHEDULER_INTERVAL_MS, 1000, 'scheduler interval', 50, 60000),
    logLevel: pick(flags, env, 'log-level', 'LOG_LEVEL') ?? 'info',
    eventsMaxConnections: integer(env.EVENTS_MAX_CONNECTIONS, 1000, 'events max connections', 1, 100000),
    eventsMaxPerAddress: integer(env.EVENTS_MAX_PER_ADDRESS, 8, 'events max per address', 1, 10000),
    eventsKeepAliveSeconds: integer(env.EVENTS_KEEPALIVE_SECONDS, 15, 'events keep-alive', 1, 3600),
  });
}
