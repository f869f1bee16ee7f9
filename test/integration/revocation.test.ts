// Emergency revocation: a participant's key that is revoked loses its sessions and its upload in flight at once.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRemedy } from '../../src/cli/commands/admin-remedies.js';
import { call, loginAs } from '../helpers/api.js';
import { affine, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openStalledUpload, waitUntil } from '../helpers/stalled-upload.js';

describe('emergency revocation', () => {
  let server: TestServer;
  let ceremony: TestCeremony;

  beforeAll(async () => {
    // Timers that cannot bite during the test: only the revocation may end the upload.
    server = await startTestServer({ env: { UPLOAD_IDLE_SECONDS: '600', HEARTBEAT_GRACE_SECONDS: '600' } });
    ceremony = await setupCeremony(server, { id: 'revoke', circuits: [affine], participants: 1 });
  }, 300_000);
  afterAll(async () => {
    await server?.destroy();
  });

  it('cuts the upload in flight, ends the turn and every session of the revoked key', async () => {
    const alice = ceremony.participants[0];
    if (!alice) throw new Error('no participant');
    const token = await loginAs(server.url, alice.keys);
    const joined = await call<{ circuits: { state: string }[] }>(
      server.url,
      'POST',
      '/v1/ceremonies/revoke/queue',
      {
        token,
      },
    );
    expect(joined.body.circuits[0]?.state).toBe('active');
    const head = await fetch(`${server.url}/v1/ceremonies/revoke/circuits/affine/zkeys/latest`, {
      method: 'HEAD',
    });
    const zkeySize = Number(head.headers.get('content-length'));
    const upload = openStalledUpload(
      server.url,
      '/v1/ceremonies/revoke/circuits/affine/contribution',
      { authorization: `Bearer ${token}`, 'x-ceremony-attestation': '00'.repeat(64) },
      zkeySize,
      4096,
    );
    // A contribution streams into the turn's partial upload (kept for a resume, unless the turn ends).
    const partial = join(server.dataDir, 'partial');
    const held = async () => (await readdir(partial).catch(() => [] as string[])).length;
    await waitUntil(async () => (await held()) === 1, 60_000, 'the upload to stream');

    await runRemedy('revoke-participant', { ...ceremony.adminOptions, participant: alice.participantId });
    expect(await upload.answered).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    await waitUntil(async () => (await held()) === 0, 60_000, 'the partial upload to go');
    const me = await call(server.url, 'GET', '/v1/ceremonies/revoke/me', { token });
    expect(me.status).toBe(401);
    // Logging in again gives a session that may do nothing in this ceremony.
    const again = await loginAs(server.url, alice.keys);
    const queue = await call(server.url, 'POST', '/v1/ceremonies/revoke/queue', { token: again });
    expect(queue.status).toBe(403);
  }, 120_000);
});
