// 5xx answers carry no internals: whatever a route throws, the client sees the catalogue code and a fixed message.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../../src/http/error-handler.js';

describe('the error handler', () => {
  it('answers a thrown Error, a database error and a non-Error with INTERNAL and nothing of theirs', async () => {
    const app = Fastify({ logger: false });
    registerErrorHandler(app);
    const secret = 'password=hunter2 at /srv/data/log-key';
    app.get('/error', async () => {
      throw new Error(secret);
    });
    app.get('/pg', async () => {
      throw Object.assign(new Error(`relation "x" does not exist: ${secret}`), {
        code: '42P01',
        detail: secret,
      });
    });
    app.get('/string', async () => {
      throw secret;
    });
    app.get('/type', async () => {
      (undefined as unknown as { x: () => void }).x();
    });
    for (const url of ['/error', '/pg', '/string', '/type']) {
      const answer = await app.inject({ method: 'GET', url });
      expect(`${url} ${answer.statusCode}`).toBe(`${url} 500`);
      expect(answer.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
      expect(answer.body).not.toContain('hunter2');
      expect(answer.body).not.toMatch(/stack|at \//);
    }
    await app.close();
  });
});
