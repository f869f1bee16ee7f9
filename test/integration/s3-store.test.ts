// Blobs in an S3-compatible bucket (s3rver, in this process): a whole ceremony through the CLI with every r1cs, ptau
// and zkey in the bucket, zkey downloads redirected to presigned URLs and still checked, Range reads streamed from the
// bucket, cut and oversized bodies that leave nothing there, and a backup restored into another bucket.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { restoreBackup } from '../../src/backup/restore.js';
import { CoordinatorClient } from '../../src/cli/client.js';
import { main } from '../../src/cli/main.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { loadBlobStoreConfig, loadConfig, type S3Config } from '../../src/config.js';
import { toHex } from '../../src/crypto/hex.js';
import { CeremonyError } from '../../src/errors.js';
import { BlobStore } from '../../src/storage/blob-store.js';
import { sha256File } from '../../src/storage/file-hash.js';
import { S3Blobs } from '../../src/storage/s3-blobs.js';
import { call, loginAs } from '../helpers/api.js';
import { affine, contributeAs, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { createTestDatabase } from '../helpers/database.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openStalledUpload, waitUntil } from '../helpers/stalled-upload.js';

const BUCKET = 'ceremony-blobs';
const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('blobs in an S3-compatible bucket', () => {
  let s3: TestS3;
  let server: TestServer;
  let ceremony: TestCeremony;
  const zkeyUrl = (index: string) => `${server.url}/v1/ceremonies/s3/circuits/affine/zkeys/${index}`;

  beforeAll(async () => {
    s3 = await startTestS3();
    await s3.createBucket(BUCKET);
    // Budgets off: the coordinator logs in once per test, more often than the auth budget allows in a minute.
    server = await startTestServer({
      env: s3.envFor(BUCKET, { S3_PRESIGN_DOWNLOADS: 'on', RATE_LIMIT: 'off' }),
    });
  });
  afterAll(async () => {
    await server?.destroy();
    await s3?.close();
  });

  it('runs a ceremony with every blob in the bucket and none under the data dir', async () => {
    ceremony = await setupCeremony(server, { id: 's3', circuits: [affine], participants: 2 });
    const accepted: string[] = [];
    // The CLI's contribute flow downloads `latest` through the presigned redirect and checks its SHA-256.
    for (const p of ceremony.participants) {
      const result = await contributeAs(server, ceremony, p);
      accepted.push(...result.contributions.map((c) => c.zkeySha256));
    }
    expect(accepted).toHaveLength(2);
    const keys = await s3.keys(BUCKET);
    for (const sha of [await sha256File(affine.r1cs), await sha256File(affine.ptau), ...accepted])
      expect(keys).toContain(sha);
    expect(existsSync(join(server.dataDir, 'blobs'))).toBe(false);
    const { body } = await call<{ circuits: { contributionIndex: number; initialZkeySha256: string }[] }>(
      server.url,
      'GET',
      '/v1/ceremonies/s3',
    );
    expect(body.circuits[0]?.contributionIndex).toBe(2);
    expect(keys).toContain(body.circuits[0]?.initialZkeySha256);
  });

  it('redirects a zkey download to a presigned URL; the bytes there match the SHA-256 in the ETag, ranges too', async () => {
    const answer = await fetch(zkeyUrl('2'), { redirect: 'manual' });
    expect(answer.status).toBe(302);
    const location = answer.headers.get('location') ?? '';
    expect(location.startsWith(`${s3.endpoint}/${BUCKET}/`)).toBe(true);
    expect(location).toContain('X-Amz-Signature=');
    const sha = /^"([0-9a-f]{64})"$/.exec(answer.headers.get('etag') ?? '')?.[1];
    expect(sha).toBeDefined();

    const whole = new Uint8Array(await (await fetch(location)).arrayBuffer());
    expect(sha256Of(whole)).toBe(sha);
    const part = await fetch(location, { headers: { range: 'bytes=0-3' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).toString('latin1')).toBe('zkey');

    const work = await mkdtemp(join(tmpdir(), 'ceremony-s3-download-'));
    const got = await new CoordinatorClient(server.url).downloadToFile(
      join(work, 'latest.zkey'),
      '/ceremonies/s3/circuits/affine/zkeys/latest',
    );
    expect(got).toMatchObject({ sha256: sha, checked: true, size: whole.length });
    await rm(work, { recursive: true, force: true });
  });

  it('streams a circuit file from the bucket with its ETag and a Range', async () => {
    const r1cs = await readFile(affine.r1cs);
    const url = `${server.url}/v1/ceremonies/s3/circuits/affine/r1cs`;
    const part = await fetch(url, { headers: { range: 'bytes=4-11' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('etag')).toBe(`"${sha256Of(r1cs)}"`);
    expect(part.headers.get('content-range')).toBe(`bytes 4-11/${r1cs.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(r1cs.subarray(4, 12));
    const again = await fetch(url, { headers: { 'if-none-match': `"${sha256Of(r1cs)}"` } });
    expect(again.status).toBe(304);
  });

  it('a body cut short leaves nothing in the bucket; the same body sent whole lands under its SHA-256', async () => {
    const token = await loginAs(server.url, server.coordinator);
    const announced = 1024 * 1024;
    const body = Buffer.alloc(announced, 7);
    const key = sha256Of(body);
    const cut = openStalledUpload(
      server.url,
      '/v1/blobs',
      { authorization: `Bearer ${token}` },
      announced,
      300_000,
    );
    await new Promise((r) => setTimeout(r, 100));
    cut.destroy();
    await cut.closed;
    const tmp = join(server.dataDir, 'tmp');
    await waitUntil(async () => (await readdir(tmp)).length === 0, 10_000, 'the cut upload to be dropped');
    expect(await s3.keys(BUCKET)).not.toContain(key);

    const whole = await call<{ sha256: string }>(server.url, 'PUT', '/v1/blobs', {
      token,
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(whole.status).toBe(201);
    expect(whole.body.sha256).toBe(key);
    expect(await s3.keys(BUCKET)).toContain(key);
  });

  it('refuses a body over the size bound before anything reaches the bucket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ceremony-s3-bound-'));
    const config = loadBlobStoreConfig(s3.envFor(BUCKET)) as S3Config;
    const blobs = new S3Blobs(config, dir, () => {});
    const store = new BlobStore(dir, { reserveBytes: 0, idleMs: 10_000 }, blobs);
    await store.init();
    const body = Buffer.alloc(64 * 1024, 9);
    const refused = await store.put(Readable.from([body]), { maxBytes: 4096 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CeremonyError);
    expect((refused as CeremonyError).code).toBe('PAYLOAD_TOO_LARGE');
    expect(await s3.keys(BUCKET)).not.toContain(sha256Of(body));
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    blobs.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('backs up the bucket through the coordinator and restores it into another bucket that serves the same zkeys', async () => {
    const work = await mkdtemp(join(tmpdir(), 'ceremony-s3-backup-'));
    const out = createMemoryOutput(true);
    const argv = ['admin', 'backup', '--server', server.url, '--key', ceremony.coordinatorKeyFile];
    expect(await main([...argv, '--out', join(work, 'backup'), '--json'], out)).toBe(0);
    const blobsBackedUp = (await readdir(join(work, 'backup', 'data', 'blobs'), { recursive: true })).filter(
      (p) => /[0-9a-f]{64}$/.test(p),
    );
    const original = (await s3.keys(BUCKET)).sort();
    expect(blobsBackedUp.map((p) => p.slice(-64)).sort()).toEqual(original);

    await s3.createBucket('ceremony-restored');
    const database = await createTestDatabase();
    const env = s3.envFor('ceremony-restored');
    await restoreBackup({
      from: join(work, 'backup'),
      dataDir: join(work, 'restored'),
      databaseUrl: database.url,
      blobStore: loadBlobStoreConfig(env),
      logKey: join(server.dataDir, 'log-key'),
    });
    expect((await s3.keys('ceremony-restored')).sort()).toEqual(original);
    expect(existsSync(join(work, 'restored', 'blobs'))).toBe(false);

    const latest = await fetch(zkeyUrl('latest'), { redirect: 'manual' });
    const config = loadConfig(
      {},
      {
        ...env,
        PORT: '0',
        DATA_DIR: join(work, 'restored'),
        TRANSCRIPTS_DIR: join(work, 'published'),
        COORDINATOR_PUBLIC_KEYS: toHex(server.coordinator.publicKey),
        LOG_LEVEL: 'warn',
        ...(database.url ? { DATABASE_URL: database.url } : {}),
      },
    );
    const restored = await buildApp(config);
    try {
      const url = await restored.app.listen({ host: '127.0.0.1', port: 0 });
      const got = await new CoordinatorClient(url).downloadToFile(
        join(work, 'latest.zkey'),
        '/ceremonies/s3/circuits/affine/zkeys/latest',
      );
      expect(`"${got.sha256}"`).toBe(latest.headers.get('etag'));
    } finally {
      await restored.app.close();
      await database.drop();
      await rm(work, { recursive: true, force: true });
    }
  });

  it('answers 503 UNAVAILABLE with Retry-After while the bucket does not answer', async () => {
    await s3.close();
    const answer = await fetch(`${server.url}/v1/ceremonies/s3/circuits/affine/r1cs`);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
  });
});
