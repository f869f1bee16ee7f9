// 5xx answers carry the catalogue's code and message and nothing else: no stack, no SQL, no path, whatever failed
// inside (a query the database refuses, then the database gone: a private PostgreSQL cluster this file stops).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, loginAs } from '../helpers/api.js';
import { createPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// What internals look like in a body: a stack frame, SQL, a table or file name, a driver's words.
const INTERNALS =
  /\bat \S+ \(|node:|\/src\/|\/work\/|\.ts\b|\.js\b|SELECT|INSERT|UPDATE|relation|ceremonies_moved|syntax|PGlite|postgres|ECONN/i;

describe('answers when the server fails inside', () => {
  let postgres: PrivatePostgres;
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    postgres = await createPrivatePostgres();
    server = await startTestServer({ env: { DATABASE_URL: postgres.url } });
    token = await loginAs(server.url, server.coordinator);
  }, 60_000);
  afterAll(async () => {
    await server?.destroy();
    await postgres?.destroy();
  });

  const expectCatalogueOnly = (answer: { status: number; body: unknown }, code: string, message: string) => {
    expect(answer.body).toEqual({ error: { code, message } });
    expect(JSON.stringify(answer.body)).not.toMatch(INTERNALS);
  };

  it('a query the database refuses answers 500 INTERNAL, the error kept for the log', async () => {
    // The route's INSERT now names a table that is not there: the driver's error holds SQL and the table's name.
    await server.built.services.db.exec('ALTER TABLE ceremonies RENAME TO ceremonies_moved');
    try {
      const answer = await call(server.url, 'POST', '/v1/ceremonies', {
        token,
        json: { id: 'fails-inside', title: 'A ceremony the database cannot hold' },
      });
      expect(answer.status).toBe(500);
      expectCatalogueOnly(answer, 'INTERNAL', 'internal error');
    } finally {
      await server.built.services.db.exec('ALTER TABLE ceremonies_moved RENAME TO ceremonies');
    }
  });

  it('the database gone answers 503 UNAVAILABLE with the catalogue body only, on reads and writes', async () => {
    await postgres.stop();
    try {
      const answers = [
        await call(server.url, 'GET', '/v1/ceremonies'),
        await call(server.url, 'POST', '/v1/ceremonies', {
          token,
          json: { id: 'db-gone', title: 'The database is gone' },
        }),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expectCatalogueOnly(answer, 'UNAVAILABLE', 'the database is unavailable; try again shortly');
      }
    } finally {
      await postgres.start();
    }
  });
});
