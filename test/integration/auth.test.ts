import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, sign } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { call, loginAs, tryLogin } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const encode = (s: string) => new TextEncoder().encode(s);

describe('authentication', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('logs a coordinator in by challenge–response and lets it create a ceremony', async () => {
    const token = await loginAs(server.url, server.coordinator);
    const created = await call(server.url, 'POST', '/v1/ceremonies', {
      token,
      json: { id: 'auth-1', title: 'Auth test' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'auth-1', state: 'draft', transcriptSize: 1 });
  });

  it("ends a key's oldest token once it holds MAX_TOKENS_PER_KEY (16) live ones", async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 17; i += 1) tokens.push(await loginAs(server.url, server.coordinator));
    const statusWith = async (token: string | undefined) =>
      (await call(server.url, 'POST', '/v1/ceremonies', { token, json: { id: 'auth-1', title: 'again' } }))
        .status;
    const statuses = [];
    for (const token of tokens) statuses.push(await statusWith(token));
    // The first login's token is gone; the 16 newest still work (409: the id is taken).
    expect(statuses).toEqual([401, ...Array(16).fill(409)]);
  });

  it('refuses a replayed nonce', async () => {
    const keys = server.coordinator;
    const publicKey = toHex(keys.publicKey);
    const { body } = await call<{ nonce: string; origin: string }>(server.url, 'POST', '/v1/auth/challenge', {
      json: { publicKey },
    });
    const signature = toHex(sign(encode(`ceremony-auth/v2\n${body.origin}\n${body.nonce}`), keys.secretKey));
    const first = await call(server.url, 'POST', '/v1/auth/login', {
      json: { publicKey, nonce: body.nonce, signature },
    });
    expect(first.status).toBe(200);
    const replay = await call(server.url, 'POST', '/v1/auth/login', {
      json: { publicKey, nonce: body.nonce, signature },
    });
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ error: { code: 'NONCE_UNKNOWN' } });
  });

  it('refuses a signature by another key, and a signature over other bytes', async () => {
    const keys = generateKeyPair();
    const other = generateKeyPair();
    const publicKey = toHex(keys.publicKey);
    for (const [signer, message] of [
      [other, (n: string) => `ceremony-auth/v2\ntest.ceremony.local\n${n}`],
      [keys, (n: string) => n],
    ] as const) {
      const { body } = await call<{ nonce: string }>(server.url, 'POST', '/v1/auth/challenge', {
        json: { publicKey },
      });
      const signature = toHex(sign(encode(message(body.nonce)), signer.secretKey));
      const login = await call(server.url, 'POST', '/v1/auth/login', {
        json: { publicKey, nonce: body.nonce, signature },
      });
      expect(login.status).toBe(401);
      expect(login.body).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
    }
  });

  it('refuses weak public keys: all zeros and small-order points', async () => {
    const identity = `01${'00'.repeat(31)}`;
    for (const publicKey of ['00'.repeat(32), identity]) {
      const answer = await call(server.url, 'POST', '/v1/auth/challenge', { json: { publicKey } });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: { code: 'WEAK_PUBLIC_KEY' } });
    }
  });

  it('keeps writes to the roles that may make them', async () => {
    const anonymous = await call(server.url, 'POST', '/v1/ceremonies', {
      json: { id: 'auth-2', title: 'x' },
    });
    expect(anonymous.status).toBe(401);
    // A key the server does not know gets no token at all.
    const stranger = await tryLogin(server.url, generateKeyPair());
    expect(stranger.status).toBe(403);
    expect(stranger.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const ceremony = await call(server.url, 'GET', '/v1/ceremonies/auth-2');
    expect(ceremony.status).toBe(404);
  });

  it('answers an oversized JSON body with 413 and a catalogue error', async () => {
    const token = await loginAs(server.url, server.coordinator);
    const big = await call(server.url, 'POST', '/v1/ceremonies', {
      token,
      json: { id: 'big', title: 'x'.repeat(100_000) },
    });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });
});
