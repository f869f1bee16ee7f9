// Random params, queries and bodies at every route: never a 5xx, and a 4xx changes nothing.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, loginAs } from '../helpers/api.js';
import { affine, setupCeremony } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tableDigester } from '../helpers/table-digest.js';

// Values that have reached a 500 before, or sit on a bound: huge, negative, non-numeric, path tricks.
const edgy = fc.constantFrom(
  'p',
  'affine',
  'p1',
  'latest',
  'final',
  '0',
  '1',
  '-1',
  '2147483647',
  '2147483648',
  '1000000000000',
  '1e21',
  '99999999999999999999999',
  'NaN',
  '..%2F..%2Fx',
  '%00',
  'checkpoint',
  'a'.repeat(300),
);
const segment = fc.oneof(edgy, fc.string({ maxLength: 20 }).map(encodeURIComponent));
const scalar = fc.oneof(
  fc.integer(),
  fc.constantFrom(1e21, -1, 0, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER, 1.5),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('\u0000', '\u202e', 'x'.repeat(5000), '0'.repeat(64), 'ab'.repeat(64)),
  fc.boolean(),
  fc.constant(null),
);
const bodyKeys = [
  'id',
  'title',
  'name',
  'publicKey',
  'treeSize',
  'signature',
  'beaconHex',
  'beaconSource',
  'iterationsExp',
  'r1csSha256',
  'ptauSha256',
  'timeoutSeconds',
  'startsAt',
  'endsAt',
  'openRegistration',
  'nonce',
  'register',
  'ceremony',
];
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.constantFrom(...bodyKeys), fc.oneof(scalar, fc.jsonValue({ maxDepth: 2 })), {
    maxKeys: 6,
  }),
);
const query = fc.dictionary(fc.constantFrom('seq', 'size', 'from', 'to', 'x'), edgy, { maxKeys: 3 });

describe('every route under random input', () => {
  let server: TestServer;
  let routes: { method: string; path: string }[];
  const tokens: (string | undefined)[] = [undefined, 'not-a-token-but-long-enough'];
  let tableContents: () => Promise<string>;

  beforeAll(async () => {
    // No budgets (every request would soon be a 429), no clock-driven expiry and no scheduler tick during the run (its
    // sweeps write bookkeeping, the silence watermark, that would show as a change beside a refused request).
    server = await startTestServer({
      env: {
        RATE_LIMIT: 'off',
        HEARTBEAT_GRACE_SECONDS: '86400',
        REJOIN_COOLDOWN_SECONDS: '0',
        SCHEDULER_INTERVAL_MS: '60000',
      },
    });
    const ceremony = await setupCeremony(server, {
      id: 'p',
      circuits: [affine],
      participants: 1,
      timeoutSeconds: 86400,
      open: false,
    });
    tokens.push(await loginAs(server.url, server.coordinator));
    const participant = ceremony.participants[0];
    if (participant) tokens.push(await loginAs(server.url, participant.keys));
    const spec = server.built.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
    );
    tableContents = await tableDigester(server.built.services.db);
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('never answers 5xx, and a 4xx leaves every table as it was', async () => {
    expect(routes.length).toBeGreaterThan(30);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(segment, { minLength: 4, maxLength: 4 }),
        query,
        body,
        fc.nat(),
        async (routeIndex, params, q, payload, tokenIndex) => {
          const route = routes[routeIndex % routes.length];
          if (!route) return;
          let i = 0;
          const path = route.path.replace(/\{[^}]+\}/g, () => params[i++] ?? 'x');
          const search = new URLSearchParams(q).toString();
          const token = tokens[tokenIndex % tokens.length];
          const before = await tableContents();
          if (route.path.endsWith('/events')) {
            // An events stream never ends, so inject would wait forever: real HTTP, status and headers, then hang up.
            const abort = new AbortController();
            const stream = await fetch(`${server.url}${path}`, {
              headers: token ? { authorization: `Bearer ${token}` } : {},
              signal: abort.signal,
            });
            abort.abort();
            expect(stream.status, `${route.method} ${path}`).toBeLessThan(500);
            if (stream.status >= 400) expect(await tableContents(), `${route.method} ${path}`).toBe(before);
            return;
          }
          const answer = await server.built.app.inject({
            method: route.method as 'GET',
            url: search ? `${path}?${search}` : path,
            headers: {
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
            },
            ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
          });
          expect(answer.statusCode, `${route.method} ${path}?${search} → ${answer.body}`).toBeLessThan(500);
          if (answer.statusCode >= 400) expect(await tableContents(), `${route.method} ${path}`).toBe(before);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('answers the sizes that once crashed it with 4xx', async () => {
    const token = tokens[3];
    const checkpoint = await call(server.url, 'GET', '/v1/ceremonies/p/checkpoints/1000000000000');
    expect(checkpoint.status).toBe(400);
    const cosign = await call(server.url, 'POST', '/v1/ceremonies/p/cosignatures', {
      token,
      json: { treeSize: 1e21, signature: '— x y' },
    });
    expect(cosign.status).toBe(400);
    const proof = await call(server.url, 'GET', '/v1/ceremonies/p/proof/inclusion?seq=0&size=99999999999');
    expect(proof.status).toBe(400);
  });
});
