// Every serve flag has an environment variable and a default; the flag wins over the environment, which wins over
// the default (README "Configuration").
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBlobStoreConfig, loadConfig } from '../../src/config.js';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';

const keyA = toHex(generateKeyPair().publicKey);
const keyB = toHex(generateKeyPair().publicKey);

// [flag, environment variable, config field, flag value, environment value, expected default, parsed flag, parsed env]
const settings: [string, string, string, string, string, unknown, unknown, unknown][] = [
  ['port', 'PORT', 'port', '9001', '9002', 8080, 9001, 9002],
  ['host', 'HOST', 'host', '0.0.0.0', '::1', '127.0.0.1', '0.0.0.0', '::1'],
  [
    'data-dir',
    'DATA_DIR',
    'dataDir',
    '/flag/data',
    '/env/data',
    resolve('./data'),
    '/flag/data',
    '/env/data',
  ],
  [
    'transcripts-dir',
    'TRANSCRIPTS_DIR',
    'transcriptsDir',
    '/flag/t',
    '/env/t',
    resolve('./data/transcripts'),
    '/flag/t',
    '/env/t',
  ],
  [
    'database-url',
    'DATABASE_URL',
    'databaseUrl',
    'postgres://flag/db',
    'postgres://env/db',
    undefined,
    'postgres://flag/db',
    'postgres://env/db',
  ],
  ['coordinator', 'COORDINATOR_PUBLIC_KEYS', 'coordinatorKeys', keyA, keyB, [], [keyA], [keyB]],
  [
    'origin',
    'CEREMONY_ORIGIN',
    'origin',
    'flag.example',
    'env.example',
    undefined,
    'flag.example',
    'env.example',
  ],
  [
    'log-key',
    'LOG_KEY',
    'logKey',
    '/keys/flag.key',
    'pkcs11:token=ceremony;object=log-key',
    undefined,
    '/keys/flag.key',
    'pkcs11:token=ceremony;object=log-key',
  ],
  ['heartbeat-interval', 'HEARTBEAT_INTERVAL_SECONDS', 'heartbeatIntervalSeconds', '7', '9', 5, 7, 9],
  ['heartbeat-grace', 'HEARTBEAT_GRACE_SECONDS', 'heartbeatGraceSeconds', '100', '200', 30, 100, 200],
  ['log-level', 'LOG_LEVEL', 'logLevel', 'debug', 'error', 'info', 'debug', 'error'],
];

describe('loadConfig precedence', () => {
  it.each(settings)(
    '--%s beats %s, which beats the default',
    (flag, env, field, flagValue, envValue, byDefault, fromFlag, fromEnv) => {
      const read = (flags: Record<string, string>, environment: Record<string, string>) =>
        (loadConfig(flags, environment) as unknown as Record<string, unknown>)[field];
      expect(read({ [flag]: flagValue }, { [env]: envValue })).toEqual(fromFlag);
      expect(read({}, { [env]: envValue })).toEqual(fromEnv);
      if (byDefault !== undefined) expect(read({}, {})).toEqual(byDefault);
      // An empty environment variable counts as unset.
      expect(read({}, { [env]: '' })).toEqual(read({}, {}));
    },
  );

  it('uses the host name as origin by default and marks it as not configured', () => {
    const config = loadConfig({}, {});
    expect(config.originConfigured).toBe(false);
    expect(config.origin.length).toBeGreaterThan(0);
    expect(loadConfig({}, { CEREMONY_ORIGIN: 'x.example' }).originConfigured).toBe(true);
  });

  it('derives the heartbeat grace from the interval (at least 30 s) unless given', () => {
    expect(loadConfig({ 'heartbeat-interval': '10' }, {}).heartbeatGraceSeconds).toBe(60);
    expect(loadConfig({}, { HEARTBEAT_INTERVAL_SECONDS: '2' }).heartbeatGraceSeconds).toBe(30);
  });

  it('reads the environment-only settings, with their defaults', () => {
    const defaults = loadConfig({}, {});
    expect(defaults).toMatchObject({
      maxBlobBytes: 4 * 1024 ** 3,
      verifyConcurrency: 1,
      jobTimeoutSeconds: 3600,
      tokenTtlSeconds: 3600,
      nonceTtlSeconds: 120,
      schedulerIntervalMs: 1000,
      webContributeMaxConstraints: 65536,
    });
    const set = loadConfig(
      {},
      {
        MAX_BLOB_BYTES: '2048',
        VERIFY_CONCURRENCY: '2',
        JOB_TIMEOUT_SECONDS: '60',
        TOKEN_TTL_SECONDS: '120',
        NONCE_TTL_SECONDS: '30',
        SCHEDULER_INTERVAL_MS: '250',
        WEB_CONTRIBUTE_MAX_CONSTRAINTS: '0',
      },
    );
    expect(set).toMatchObject({
      maxBlobBytes: 2048,
      verifyConcurrency: 2,
      jobTimeoutSeconds: 60,
      tokenTtlSeconds: 120,
      nonceTtlSeconds: 30,
      schedulerIntervalMs: 250,
      webContributeMaxConstraints: 0,
    });
  });

  it('refuses a raw hex seed as the log key, and a malformed PKCS#11 URI, without repeating either', () => {
    const seed = 'ab'.repeat(32);
    const refusal = (env: Record<string, string>) => {
      try {
        loadConfig({}, env);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    const raw = refusal({ LOG_KEY: seed });
    expect(raw).toMatch(/key file or a PKCS#11 URI; a raw hex seed is no longer taken/);
    expect(raw).not.toContain(seed);
    const pinInUri = refusal({ LOG_KEY: 'pkcs11:token=t;object=k?pin-value=4711' });
    expect(pinInUri).toMatch(/pin-value would put the PIN on the command line/);
    expect(pinInUri).not.toContain('4711');
    expect(loadConfig({ 'log-key': 'keys/log.key' }, {}).logKey).toMatch(/^\/.*keys\/log\.key$/);
  });

  it('refuses a value out of range, naming the setting', () => {
    expect(() => loadConfig({ port: '70000' }, {})).toThrow(/config: port must be an integer/);
    expect(() => loadConfig({}, { MAX_BLOB_BYTES: '12' })).toThrow(/max blob bytes/);
    expect(() => loadConfig({}, { WEB_CONTRIBUTE_MAX_CONSTRAINTS: '-1' })).toThrow(
      /web contribution max constraints/,
    );
    expect(() => loadConfig({ coordinator: 'zz' }, {})).toThrow(/config: coordinator key/);
  });

  it('keeps blobs in the data dir unless BLOB_STORE=s3 names a bucket; refuses half or bad S3 settings', () => {
    expect(loadConfig({}, {}).blobStore).toEqual({ kind: 'fs' });
    const s3 = loadBlobStoreConfig({
      BLOB_STORE: 's3',
      S3_BUCKET: 'zkeys',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
    });
    expect(s3).toMatchObject({
      kind: 's3',
      bucket: 'zkeys',
      region: 'us-east-1',
      forcePathStyle: true,
      prefix: '',
      presignDownloads: false,
      presignExpirySeconds: 300,
      cacheBytes: 16 * 1024 ** 3,
      accessKeyId: undefined,
    });
    expect(loadBlobStoreConfig({ BLOB_STORE: 's3', S3_BUCKET: 'zkeys' })).toMatchObject({
      forcePathStyle: false,
    });
    expect(() => loadBlobStoreConfig({ BLOB_STORE: 'disk' })).toThrow(/BLOB_STORE must be 'fs' or 's3'/);
    expect(() => loadBlobStoreConfig({ BLOB_STORE: 's3' })).toThrow(/needs S3_BUCKET/);
    expect(() => loadBlobStoreConfig({ BLOB_STORE: 's3', S3_BUCKET: 'b1b', S3_ACCESS_KEY_ID: 'id' })).toThrow(
      /both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY/,
    );
    expect(() =>
      loadBlobStoreConfig({ BLOB_STORE: 's3', S3_BUCKET: 'b1b', S3_PRESIGN_DOWNLOADS: 'yes' }),
    ).toThrow(/S3_PRESIGN_DOWNLOADS must be 'on' or 'off'/);
    expect(() =>
      loadBlobStoreConfig({ BLOB_STORE: 's3', S3_BUCKET: 'b1b', S3_PRESIGN_EXPIRY_SECONDS: '86400' }),
    ).toThrow(/S3 presign expiry/);
  });
});
