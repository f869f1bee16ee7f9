// Limits the README states: MAX_BLOB_BYTES, --iterations-exp at most 28, nonce and token expiry, and a download
// whose SHA-256 differs from its ETag. Each refusal is checked to change nothing.
import { createHash } from 'node:crypto';
import { access, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { runDownload } from '../../src/cli/commands/download.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { sign } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { call, loginAs } from '../helpers/api.js';
import { setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let ceremony: TestCeremony;

beforeAll(async () => {
  // No caller cache: the expiry test ages a token in the database, which a cached caller would not see for
  // AUTH_CACHE_SECONDS (the cache's own bounds are tested in test/unit/caller-cache.test.ts).
  server = await startTestServer({ env: { MAX_BLOB_BYTES: '4096', AUTH_CACHE_SECONDS: '0' } });
  // A draft with no circuit: enough for these limits, and no r1cs has to fit under the tiny blob limit.
  ceremony = await setupCeremony(server, { id: 'limits', circuits: [], participants: 1, open: false });
}, 600_000);
afterAll(async () => {
  await server?.destroy();
});

// Blobs are files in the content-addressed store (no table lists them): count the files under its root.
const blobCount = async () =>
  (await readdir(server.built.services.store.root, { recursive: true, withFileTypes: true })).filter(
    (e) => e.isFile() && /^[0-9a-f]{64}$/.test(e.name),
  ).length;

describe('MAX_BLOB_BYTES', () => {
  it('refuses a larger upload with PAYLOAD_TOO_LARGE and stores nothing; takes one at the limit', async () => {
    const token = await loginAs(server.url, server.coordinator);
    const put = (size: number) =>
      call<{ error?: { code: string }; sha256?: string }>(server.url, 'PUT', '/v1/blobs', {
        token,
        body: new Uint8Array(size).fill(7),
        headers: { 'content-type': 'application/octet-stream' },
      });
    const before = await blobCount();
    const tooBig = await put(4097);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await blobCount()).toBe(before);
    const atLimit = await put(4096);
    expect(atLimit.status).toBe(201);
    expect(atLimit.body.sha256).toBe(createHash('sha256').update(new Uint8Array(4096).fill(7)).digest('hex'));
    expect(await blobCount()).toBe(before + 1);
  });

  it('holds without Content-Length: a chunked upload past the bound is refused as it streams', async () => {
    const token = await loginAs(server.url, server.coordinator);
    const before = await blobCount();
    // 8 chunks of 1 KiB, no Content-Length: only the bytes counted as they arrive can stop it.
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 8) return controller.close();
        sent += 1;
        controller.enqueue(new Uint8Array(1024).fill(sent));
      },
    });
    const answer = await fetch(`${server.url}/v1/blobs`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(answer.status).toBe(413);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await blobCount()).toBe(before);
  });
});

describe('--iterations-exp', () => {
  it('refuses 29 before anything else, while 28 passes that check', async () => {
    const transcriptSize = async () =>
      (await call<string>(server.url, 'GET', '/v1/ceremonies/limits/transcript')).body.trimEnd().split('\n')
        .length;
    const before = await transcriptSize();
    const finalize = (iterationsExp: number) =>
      admin
        .finalizeCeremony({
          ...ceremony.adminOptions,
          beaconHex: 'ab'.repeat(32),
          beaconSource: 'test',
          iterationsExp,
        })
        .then(
          () => 'finalized',
          (err: { code?: string; message: string }) => `${err.code}: ${err.message}`,
        );
    expect(await finalize(29)).toMatch(/^BAD_REQUEST: .*iterationsExp/);
    // 28 is within bounds: what stops it is the draft state, not the exponent.
    expect(await finalize(28)).toMatch(/^WRONG_STATE/);
    const view = await call<{ state: string }>(server.url, 'GET', '/v1/ceremonies/limits');
    expect(view.body.state).toBe('draft');
    expect(await transcriptSize()).toBe(before);
  });
});

describe('nonce and token expiry', () => {
  const db = () => server.built.services.db;

  it('refuses a login with an expired nonce, and the nonce is spent', async () => {
    const keys = ceremony.participants[0]!.keys;
    const publicKey = toHex(keys.publicKey);
    const challenge = await call<{ nonce: string; origin: string }>(
      server.url,
      'POST',
      '/v1/auth/challenge',
      {
        json: { publicKey },
      },
    );
    const { nonce, origin } = challenge.body;
    const signature = toHex(
      sign(new TextEncoder().encode(`ceremony-auth/v2\n${origin}\n${nonce}`), keys.secretKey),
    );
    // The nonce's lifetime runs out (NONCE_TTL_SECONDS), without waiting for it.
    await db().query(`UPDATE auth_nonces SET expires_at = now() - interval '1 second' WHERE nonce = $1`, [
      challenge.body.nonce,
    ]);
    const login = () =>
      call<{ error?: { code: string; message: string } }>(server.url, 'POST', '/v1/auth/login', {
        json: { publicKey, nonce: challenge.body.nonce, signature },
      });
    const expired = await login();
    expect(expired.status).toBe(401);
    expect(expired.body.error).toMatchObject({
      code: 'NONCE_UNKNOWN',
      message: expect.stringMatching(/expired/),
    });
    const again = await login();
    expect(again.body.error).toMatchObject({
      code: 'NONCE_UNKNOWN',
      message: expect.stringMatching(/unknown/),
    });
  });

  it('refuses a token past its lifetime, and a fresh login works again', async () => {
    const keys = ceremony.participants[0]!.keys;
    const me = (token: string) => call(server.url, 'GET', '/v1/ceremonies/limits/me', { token });
    const token = await loginAs(server.url, keys);
    expect((await me(token)).status).toBe(200);
    const tokenSha256 = createHash('sha256').update(token).digest('hex');
    const updated = await db().query(
      `UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE token_sha256 = $1 RETURNING 1 AS one`,
      [tokenSha256],
    );
    expect(updated).toHaveLength(1);
    const refused = await me(token);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    expect((await me(await loginAs(server.url, keys))).status).toBe(200);
  });
});

describe('a download whose SHA-256 differs from its ETag', () => {
  let liar: Server;

  afterAll(() => new Promise<void>((resolve) => liar?.close(() => resolve())));

  it('is refused and leaves no file', async () => {
    const body = Buffer.from('these are not the bytes the ETag names');
    liar = createServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': body.length,
        etag: `"${createHash('sha256').update('other bytes').digest('hex')}"`,
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
    const out = join(ceremony.workDir, 'download.zkey');
    const err = await runDownload({
      server: url,
      ceremony: 'limits',
      circuit: 'main',
      out,
      output: createMemoryOutput(),
    }).catch((e: unknown) => e as { code?: string; message: string });
    expect(err).toMatchObject({
      code: 'HASH_MISMATCH',
      message: expect.stringMatching(/does not match ETag/),
    });
    await expect(access(out)).rejects.toThrow();
    expect((await readdir(ceremony.workDir)).filter((f) => f.startsWith('download.zkey'))).toEqual([]);
  });
});
