import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, loginAs } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('operations endpoints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    const token = await loginAs(server.url, server.coordinator);
    await call(server.url, 'POST', '/v1/ceremonies', { token, json: { id: 'ops', title: 'Ops' } });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('answers health and readiness', async () => {
    expect((await call(server.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await call(server.url, 'GET', '/readyz')).body).toEqual({ status: 'ready' });
  });

  it('counts transcript entries in Prometheus metrics', async () => {
    const metrics = await call<string>(server.url, 'GET', '/metrics');
    expect(metrics.body).toMatch(/ceremony_transcript_entries_total\{type="ceremony.created"\} 1/);
  });

  it('documents the API in OpenAPI, public reads and writes alike', async () => {
    const spec = await call<{ openapi: string; paths: Record<string, unknown> }>(
      server.url,
      'GET',
      '/docs/json',
    );
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/ceremonies/{id}/transcript',
        '/v1/ceremonies/{id}/proof/inclusion',
        '/v1/ceremonies/{id}/circuits/{name}/contribution',
        '/v1/auth/login',
      ]),
    );
  });

  it('answers unknown routes with a catalogue error', async () => {
    const missing = await call(server.url, 'GET', '/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
