// Nothing stays stuck: dead jobs are settled by the sweeper, and coordinators have commands for the rest.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRemedy } from '../../src/cli/commands/admin-remedies.js';
import { contribute } from '../../src/snark/runner.js';
import { sha256File } from '../../src/storage/file-hash.js';
import { FsBlobs } from '../../src/storage/fs-blobs.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { call, loginAs } from '../helpers/api.js';
import { affine, setupCeremony } from '../helpers/ceremony.js';
import { attestFile, downloadZkey, uploadZkey } from '../helpers/contribution.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { buildZkeyChain, removeZkeyDirs } from '../helpers/zkeys.js';

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

interface View {
  circuits: { name: string; status: string; error: string | null; currentParticipant: string | null }[];
}

describe('remedies for stuck work', () => {
  let server: TestServer;
  let coordinator: string;
  const blobDir = (sha256: string) =>
    dirname(new FsBlobs(server.built.services.config.dataDir).pathOf(sha256));
  /** Storing a blob under this hash then fails as a broken disk would: the directory it goes in is a file. */
  const breakStorageOf = async (sha256: string) => {
    if (await exists(blobDir(sha256))) return false;
    await mkdir(dirname(blobDir(sha256)), { recursive: true });
    await writeFile(blobDir(sha256), 'not a directory');
    return true;
  };
  const mendStorageOf = (sha256: string) => rm(blobDir(sha256), { force: true });
  // A failing job is tried three times, each a real snarkjs run: allow minutes on a busy machine.
  const waitFor = async <T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
    const giveUpAt = Date.now() + 240_000;
    for (;;) {
      const value = await probe();
      if (done(value) || Date.now() > giveUpAt) return value;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const entries = async (id: string) =>
    (await call<string>(server.url, 'GET', `/v1/ceremonies/${id}/transcript`)).body
      .trimEnd()
      .split('\n')
      .map((l) => decodeEntryLine(l).entry);
  const view = async (id: string) => (await call<View>(server.url, 'GET', `/v1/ceremonies/${id}`)).body;
  const as = (token: string, method: string, path: string, json?: unknown) =>
    call<Record<string, unknown>>(server.url, method, path, { token, json });

  beforeAll(async () => {
    // Turns outlast the slow local contributions below.
    server = await startTestServer({ env: { HEARTBEAT_GRACE_SECONDS: '600', JOB_RETRY_DELAY_MS: '0' } });
    coordinator = await loginAs(server.url, server.coordinator);
  });
  afterAll(async () => {
    await server?.destroy();
    await removeZkeyDirs();
  });

  it('lets a coordinator remove, or retry, a circuit whose setup failed', async () => {
    // The initial zkey is deterministic: the one snarkjs makes here is the one the server will try to store.
    const chain = await buildZkeyChain({ circuit: 'affine-chain-300', contributions: 0 });
    const initial = await sha256File(chain.init);
    await setupCeremony(server, { id: 'setup', circuits: [], participants: 0, open: false });
    const put = async (path: string) =>
      (
        await call<{ sha256: string }>(server.url, 'PUT', '/v1/blobs', {
          token: coordinator,
          body: new Uint8Array(await readFile(path)),
          headers: { 'content-type': 'application/octet-stream' },
        })
      ).body.sha256;
    const inputs = { r1csSha256: await put(affine.r1cs), ptauSha256: await put(affine.ptau) };
    expect(await breakStorageOf(initial)).toBe(true);
    const addAndSettle = async () => {
      const added = await as(coordinator, 'POST', '/v1/ceremonies/setup/circuits', {
        name: 'affine',
        ...inputs,
      });
      expect(added.status).toBe(202);
      return waitFor(
        () => view('setup'),
        (v) => v.circuits[0]?.status !== 'preparing',
      );
    };

    expect((await addAndSettle()).circuits[0]?.status).toBe('failed');
    const removed = await as(coordinator, 'DELETE', '/v1/ceremonies/setup/circuits/affine');
    expect(removed.status).toBe(200);
    expect((await view('setup')).circuits).toEqual([]);

    expect((await addAndSettle()).circuits[0]?.status).toBe('failed');
    await mendStorageOf(initial);
    expect((await as(coordinator, 'POST', '/v1/ceremonies/setup/circuits/affine/retry')).status).toBe(202);
    const ready = await waitFor(
      () => view('setup'),
      (v) => v.circuits[0]?.status !== 'preparing',
    );
    expect(ready.circuits[0]).toMatchObject({ status: 'ready', error: null });
    // A ready circuit is in the transcript (circuit.added): it cannot be removed or set up again.
    expect((await as(coordinator, 'DELETE', '/v1/ceremonies/setup/circuits/affine')).status).toBe(409);
    expect((await as(coordinator, 'POST', '/v1/ceremonies/setup/circuits/affine/retry')).status).toBe(409);
    expect((await entries('setup')).filter((e) => e.type === 'circuit.added')).toHaveLength(1);
  }, 600_000);

  it('rejects a contribution whose verification job died outside snarkjs, and frees the circuit', async () => {
    const ceremony = await setupCeremony(server, { id: 'stuck', circuits: [affine], participants: 2 });
    const [alice, bob] = ceremony.participants;
    if (!alice || !bob) throw new Error('participants missing');
    const aliceToken = await loginAs(server.url, alice.keys);
    const queued = await as(aliceToken, 'POST', '/v1/ceremonies/stuck/queue');
    const circuit = (queued.body.circuits as { state: string; latestZkeySha256: string }[])[0];
    expect(circuit?.state).toBe('active');
    const zkey0 = await downloadZkey(server.url, 'stuck', 'affine', 0, join(ceremony.workDir, 'zkey0.zkey'));
    const zkey1 = join(ceremony.workDir, 'zkey1.zkey');
    let sha = '';
    for (let i = 0; i < 5 && sha === ''; i++) {
      await contribute(zkey0, zkey1, 'alice', `entropy ${i}`);
      const candidate = await sha256File(zkey1);
      if (await breakStorageOf(candidate)) sha = candidate;
    }
    expect(sha).not.toBe('');
    const target = { ceremony: 'stuck', circuit: 'affine' };
    const attestation = await attestFile(
      zkey1,
      { ...target, index: 1, prevZkeySha256: circuit?.latestZkeySha256 ?? '' },
      alice.keys.secretKey,
    );
    const upload = await uploadZkey(server.url, aliceToken, target, zkey1, attestation);
    expect(upload.status).toBe(202);
    // The verification passes each time; storing the accepted zkey fails on every try, so the job dies.
    const verdict = await waitFor(
      async () =>
        (
          await call<{ state: string; reason: { code: string } | null }>(
            server.url,
            'GET',
            `/v1/ceremonies/stuck/contributions/${upload.body.contributionId}`,
          )
        ).body,
      (v) => v.state !== 'verifying',
    );
    await mendStorageOf(sha);
    expect(verdict).toMatchObject({ state: 'rejected', reason: { code: 'VERIFIER_ERROR' } });
    expect((await entries('stuck')).at(-1)).toMatchObject({
      type: 'contribution.rejected',
      body: { reason: 'VERIFIER_ERROR', participantId: alice.participantId },
    });

    // The circuit is free: the next in line gets it at once.
    const bobToken = await loginAs(server.url, bob.keys);
    const bobQueued = await as(bobToken, 'POST', '/v1/ceremonies/stuck/queue');
    expect((bobQueued.body.circuits as { state: string }[])[0]?.state).toBe('active');

    // The coordinator ends Bob's turn, then shuts Alice out; both are logged.
    await runRemedy('expire-turn', { ...ceremony.adminOptions, circuit: 'affine' });
    expect((await entries('stuck')).at(-1)).toMatchObject({
      type: 'turn.expired',
      body: { participantId: bob.participantId, reason: 'coordinator' },
    });
    expect((await view('stuck')).circuits[0]?.currentParticipant).toBeNull();
    const revokePath = `/v1/ceremonies/stuck/participants/${alice.participantId}/revoke`;
    expect((await as(coordinator, 'POST', revokePath)).status).toBe(200);
    expect((await entries('stuck')).at(-1)).toMatchObject({
      type: 'participant.revoked',
      body: { participantId: alice.participantId },
    });
    expect((await as(coordinator, 'POST', revokePath)).status).toBe(409);
    // Revocation ends the key's sessions; a new login may do nothing in this ceremony.
    expect((await as(aliceToken, 'POST', '/v1/ceremonies/stuck/queue')).status).toBe(401);
    const aliceAgain = await as(await loginAs(server.url, alice.keys), 'POST', '/v1/ceremonies/stuck/queue');
    expect(aliceAgain.status).toBe(403);
  }, 600_000);
});
