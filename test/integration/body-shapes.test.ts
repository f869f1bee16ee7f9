// Every POST route under JSON of any nesting depth and size: a 4xx, never a 5xx, and nothing written.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { affine, setupCeremony } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tableDigester } from '../helpers/table-digest.js';

/** `depth` levels of arrays or objects around a leaf, as text (JSON.stringify itself would recurse). */
function nested(depth: number, kind: 'array' | 'object' | 'mixed', leaf: string): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i += 1) {
    const array = kind === 'array' || (kind === 'mixed' && i % 2 === 0);
    open += array ? '[' : '{"name":';
    close = (array ? ']' : '}') + close;
  }
  return open + leaf + close;
}

describe('JSON bodies of every depth and size', () => {
  let server: TestServer;
  let posts: string[];
  const tokens: (string | undefined)[] = [undefined];
  let snapshot: () => Promise<string>;

  beforeAll(async () => {
    // No budgets, and no scheduler tick during the run: its sweeps write bookkeeping (the silence watermark) that
    // would show as a change beside a refused request.
    server = await startTestServer({
      env: { RATE_LIMIT: 'off', HEARTBEAT_GRACE_SECONDS: '86400', SCHEDULER_INTERVAL_MS: '60000' },
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
    posts = Object.entries(spec.paths)
      .filter(([, methods]) => 'post' in methods)
      .map(([path]) => path.replace(/\{id\}/g, 'p').replace(/\{[^}]+\}/g, 'affine'));
    snapshot = await tableDigester(server.built.services.db);
  }, 600_000);
  afterAll(async () => {
    await server?.destroy();
  });

  it('answers 400 to JSON nested thousands deep on every POST route, tokens or not', async () => {
    expect(posts.length).toBeGreaterThanOrEqual(17);
    const before = await snapshot();
    for (const path of posts)
      for (const token of tokens) {
        const answer = await server.built.app.inject({
          method: 'POST',
          url: path,
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          payload: nested(4000, 'array', '1'),
        });
        expect(`${path} ${answer.statusCode} ${answer.json<{ error: { code: string } }>().error.code}`).toBe(
          `${path} 400 BAD_REQUEST`,
        );
      }
    expect(await snapshot()).toBe(before);
  }, 600_000);

  it('answers every depth and size with a 4xx or a success, never a 5xx, and a 4xx writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 6000 }),
        fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'>,
        fc.oneof(
          fc.constant('"x"'),
          fc.constant('null'),
          fc.integer({ min: 0, max: 70_000 }).map((n) => `"${'a'.repeat(n)}"`),
        ),
        fc.boolean(),
        async (routeIndex, tokenIndex, depth, kind, leaf, truncate) => {
          const path = posts[routeIndex % posts.length] as string;
          const token = tokens[tokenIndex % tokens.length];
          const text = nested(depth, kind, leaf);
          const before = await snapshot();
          const answer = await server.built.app.inject({
            method: 'POST',
            url: path,
            headers: {
              'content-type': 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            payload: truncate ? text.slice(0, text.length - 1) : text,
          });
          const what = `POST ${path} depth ${depth} ${kind} ${text.length} bytes → ${answer.statusCode}`;
          expect(answer.statusCode, what).toBeLessThan(500);
          if (answer.statusCode >= 400) expect(await snapshot(), what).toBe(before);
        },
      ),
      { numRuns: 150 },
    );
  }, 600_000);
});
