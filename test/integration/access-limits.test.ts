import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpiredCredentials } from '../../src/ceremony/auth.js';
import { generateKeyPair, sign } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { call, loginAs } from '../helpers/api.js';
import { affine, setupCeremony } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const encode = (s: string) => new TextEncoder().encode(s);

describe('access limits on a server with the default budgets', () => {
  let server: TestServer;
  const count = async (sql: string, params: unknown[] = []) =>
    ((await server.built.services.db.query<{ n: number }>(sql, params))[0]?.n ?? -1) as number;

  beforeAll(async () => {
    // Default budgets but one: the coordinator key's own logins (every admin command of a ceremony's setup logs in)
    // would wait out a minute; the per-address login budget the flood test meets stays at its default.
    server = await startTestServer({ defaultBudgets: true, env: { RATE_LIMIT_AUTH: '60/1000' } });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('keeps at most a few open challenges per key', async () => {
    const publicKey = toHex(generateKeyPair().publicKey);
    for (let i = 0; i < 8; i++) {
      expect((await call(server.url, 'POST', '/v1/auth/challenge', { json: { publicKey } })).status).toBe(
        200,
      );
    }
    expect(await count('SELECT count(*)::int AS n FROM auth_nonces WHERE public_key = $1', [publicKey])).toBe(
      4,
    );
  });

  it('refuses a signature that names another origin, or the old unbound format', async () => {
    const keys = server.coordinator;
    const publicKey = toHex(keys.publicKey);
    for (const message of [
      (n: string) => `ceremony-auth/v2\nelsewhere.example\n${n}`,
      (n: string) => `ceremony-auth/v1\n${n}`,
    ]) {
      const challenge = await call<{ nonce: string; origin: string }>(
        server.url,
        'POST',
        '/v1/auth/challenge',
        {
          json: { publicKey },
        },
      );
      expect(challenge.body.origin).toBe('test.ceremony.local');
      const signature = toHex(sign(encode(message(challenge.body.nonce)), keys.secretKey));
      const login = await call(server.url, 'POST', '/v1/auth/login', {
        json: { publicKey, nonce: challenge.body.nonce, signature },
      });
      expect(login.status).toBe(401);
      expect(login.body).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
    }
  });

  it('logs out: the token stops working at once', async () => {
    const token = await loginAs(server.url, server.coordinator);
    expect((await call(server.url, 'DELETE', '/v1/auth/token', { token })).status).toBe(204);
    const after = await call(server.url, 'POST', '/v1/ceremonies', { token, json: { id: 'x', title: 'x' } });
    expect(after.status).toBe(401);
    expect(await count('SELECT count(*)::int AS n FROM auth_tokens')).toBe(0);
  });

  it('purges expired nonces and tokens', async () => {
    await loginAs(server.url, server.coordinator);
    await call(server.url, 'POST', '/v1/auth/challenge', {
      json: { publicKey: toHex(generateKeyPair().publicKey) },
    });
    const live = await count(
      'SELECT (SELECT count(*) FROM auth_nonces) + (SELECT count(*) FROM auth_tokens) AS n',
    );
    expect(live).toBeGreaterThan(1);
    // As if their lifetimes had passed.
    await server.built.services.db.query(`UPDATE auth_nonces SET expires_at = now() - interval '1 second'`);
    await server.built.services.db.query(`UPDATE auth_tokens SET expires_at = now() - interval '1 second'`);
    const purged = await purgeExpiredCredentials(server.built.services);
    expect(purged.nonces + purged.tokens).toBe(Number(live));
    expect(
      await count('SELECT (SELECT count(*) FROM auth_nonces) + (SELECT count(*) FROM auth_tokens) AS n'),
    ).toBe(0);
  });

  it('lets one participant add at most one entry by looping join and leave (rejoin cool-down)', async () => {
    const ceremony = await setupCeremony(server, { id: 'loop', circuits: [affine], participants: 1 });
    const p = ceremony.participants[0];
    if (!p) throw new Error('no participant');
    const token = await loginAs(server.url, p.keys);
    const size = async () =>
      (await call<{ transcriptSize: number }>(server.url, 'GET', '/v1/ceremonies/loop')).body.transcriptSize;
    const before = await size();
    const joins: number[] = [];
    for (let i = 0; i < 20; i++) {
      const join = await call(server.url, 'POST', '/v1/ceremonies/loop/queue', { token });
      joins.push(join.status);
      if (join.status === 429) {
        expect(Number(join.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(join.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      }
      await call(server.url, 'DELETE', '/v1/ceremonies/loop/queue', { token });
    }
    expect(joins[0]).toBe(200);
    expect(joins.slice(1).every((s) => s === 429)).toBe(true);
    // One turn.expired for the one turn given up; nothing for the refused joins.
    expect((await size()) - before).toBe(1);
  });

  it('answers a login flood from one address with 429 and Retry-After, and gives unknown keys no token', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 100 && retryAfter === null; i++) {
      const keys = generateKeyPair();
      const publicKey = toHex(keys.publicKey);
      const challenge = await call<{ nonce: string; origin: string }>(
        server.url,
        'POST',
        '/v1/auth/challenge',
        {
          json: { publicKey },
        },
      );
      statuses.push(challenge.status);
      if (challenge.status === 429) {
        retryAfter = challenge.headers.get('retry-after');
        break;
      }
      const { nonce, origin } = challenge.body;
      const signature = toHex(sign(encode(`ceremony-auth/v2\n${origin}\n${nonce}`), keys.secretKey));
      const login = await call(server.url, 'POST', '/v1/auth/login', {
        json: { publicKey, nonce, signature },
      });
      statuses.push(login.status);
      if (login.status === 429) retryAfter = login.headers.get('retry-after');
      else expect(login.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    expect(retryAfter).not.toBeNull();
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    const tokens = await count('SELECT count(*)::int AS n FROM auth_tokens WHERE public_key <> $1', [
      toHex(server.coordinator.publicKey),
    ]);
    expect(tokens).toBeLessThanOrEqual(1);
  });
});

describe('RATE_LIMIT=off', () => {
  it('turns every budget off (loopback load benchmarks)', async () => {
    const server = await startTestServer({ env: { RATE_LIMIT: 'off' } });
    try {
      for (let i = 0; i < 70; i++) {
        const publicKey = toHex(generateKeyPair().publicKey);
        const answer = await call(server.url, 'POST', '/v1/auth/challenge', { json: { publicKey } });
        expect(answer.status).toBe(200);
      }
    } finally {
      await server.destroy();
    }
  });
});
