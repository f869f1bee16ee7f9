import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, loginAs } from '../helpers/api.js';
import { fixture } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('adding circuits', () => {
  let server: TestServer;
  let token: string;
  const blob = async (name: string) => {
    const answer = await call<{ sha256: string }>(server.url, 'PUT', '/v1/blobs', {
      token,
      body: await readFile(fixture(name)),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(answer.status).toBe(201);
    return answer.body.sha256;
  };

  beforeAll(async () => {
    server = await startTestServer();
    token = await loginAs(server.url, server.coordinator);
    await call(server.url, 'POST', '/v1/ceremonies', { token, json: { id: 'circuits', title: 'Circuits' } });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('refuses a ptau too small for the circuit at once, naming the power it needs', async () => {
    const answer = await call(server.url, 'POST', '/v1/ceremonies/circuits/circuits', {
      token,
      json: {
        name: 'big',
        r1csSha256: await blob('mulchain-4093.r1cs'),
        ptauSha256: await blob('pot10.ptau'),
      },
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      error: { code: 'INVALID_PTAU', message: 'circuit needs powers of tau 2^12, the ptau has 2^10' },
    });
  });

  it('refuses an r1cs given as the ptau, and names that would collide with published files', async () => {
    const r1cs = await blob('mulchain-1021.r1cs');
    const swapped = await call(server.url, 'POST', '/v1/ceremonies/circuits/circuits', {
      token,
      json: { name: 'swapped', r1csSha256: r1cs, ptauSha256: r1cs },
    });
    expect(swapped.body).toMatchObject({ error: { code: 'INVALID_PTAU' } });
    const reserved = await call(server.url, 'POST', '/v1/ceremonies/circuits/circuits', {
      token,
      json: { name: 'checkpoints', r1csSha256: r1cs, ptauSha256: await blob('pot10.ptau') },
    });
    expect(reserved.body).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });

  it('leaves the ceremony without circuits, so it cannot open', async () => {
    const view = await call<{ circuits: unknown[]; transcriptSize: number }>(
      server.url,
      'GET',
      '/v1/ceremonies/circuits',
    );
    expect(view.body.circuits).toEqual([]);
    expect(view.body.transcriptSize).toBe(1);
    const open = await call(server.url, 'POST', '/v1/ceremonies/circuits/open', { token });
    expect(open.body).toMatchObject({ error: { code: 'WRONG_STATE' } });
  });
});
