import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { fromHex, toHex } from '../../src/crypto/hex.js';
import { openDatabase } from '../../src/db/database.js';
import { contribute } from '../../src/snark/runner.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { verifyConsistency } from '../../src/transcript/merkle.js';
import { parseCheckpoint, verifyNote } from '../../src/transcript/note.js';
import { call, loginAs } from '../helpers/api.js';
import { contributeAs, mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { type ChildServer, startChildServer } from '../helpers/child-server.js';
import { attestFile, downloadZkey, uploadZkey, waitForVerdict } from '../helpers/contribution.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import type { TestServer } from '../helpers/server.js';

describe('the server killed during a verification', () => {
  let dataDir: string;
  let database: TestDatabase;
  let env: Record<string, string>;
  let child: ChildServer;
  const coordinator = generateKeyPair();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ceremony-crash-'));
    database = await createTestDatabase();
    env = {
      DATA_DIR: dataDir,
      TRANSCRIPTS_DIR: join(dataDir, 'published'),
      COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
      CEREMONY_ORIGIN: 'crash.ceremony.local',
      // Every contribution is cross-checked by verifyFromInit in the job, so a verification is still in flight
      // after the streamed step check passed, and the restart must resume it from the stored file.
      CROSS_CHECK_EVERY: '1',
      // Turns must outlast the restarts on a loaded machine: this test is about crashes, not heartbeats.
      HEARTBEAT_GRACE_SECONDS: '600',
      // On PostgreSQL a killed process's upload claim holds its turn until it expires (the embedded database clears
      // claims at start): the shortest claim keeps that wait to seconds.
      UPLOAD_CLAIM_SECONDS: '3',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    };
    child = await startChildServer(env);
  });
  afterAll(async () => {
    await child?.kill();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('restarts, finishes the verification, and goes on with nothing lost and a consistent transcript', async () => {
    const asServer = () => ({ url: child.url, coordinator }) as unknown as TestServer;
    const ceremony: TestCeremony = await setupCeremony(asServer(), {
      id: 'crash',
      circuits: [mulchain],
      participants: 2,
    });
    const [alice, bob] = ceremony.participants;
    if (!alice || !bob) throw new Error('participants missing');

    const token = await loginAs(child.url, alice.keys);
    const queued = await call<{ circuits: { state: string; latestZkeySha256: string }[] }>(
      child.url,
      'POST',
      '/v1/ceremonies/crash/queue',
      { token },
    );
    expect(queued.body.circuits[0]?.state).toBe('active');
    const zkey0 = await downloadZkey(child.url, 'crash', 'mulchain', 0, join(ceremony.workDir, 'zkey0.zkey'));
    const zkey1 = join(ceremony.workDir, 'zkey1.zkey');
    await contribute(zkey0, zkey1, 'alice', 'entropy that is never logged');
    const target = { ceremony: 'crash', circuit: 'mulchain' };
    const attestation = await attestFile(
      zkey1,
      { ...target, index: 1, prevZkeySha256: queued.body.circuits[0]?.latestZkeySha256 ?? '' },
      alice.keys.secretKey,
    );
    const before = await call<string>(child.url, 'GET', '/v1/ceremonies/crash/checkpoint');
    const upload = await uploadZkey(child.url, token, target, zkey1, attestation);
    expect(upload.status).toBe(202);
    expect(upload.body.state).toBe('verifying');

    await child.kill();
    // The database the dead server left: the verification was in flight (its job not done), so a crash cut it short.
    const left = await openDatabase({ url: database.url, dataDir: join(dataDir, 'pgdata') });
    const [stored] = await left.query<{ state: string }>('SELECT state FROM contributions WHERE id = $1', [
      upload.body.contributionId,
    ]);
    const jobs = await left.query<{ state: string }>(
      `SELECT state FROM jobs WHERE kind = 'contribution.verify' AND payload->>'contributionId' = $1`,
      [upload.body.contributionId],
    );
    await left.close();
    expect(stored?.state).toBe('verifying');
    expect(jobs).toHaveLength(1);
    expect(['queued', 'running']).toContain(jobs[0]?.state);
    child = await startChildServer(env);

    // Only the restarted server can have finished it: the job resumed.
    const verdict = await waitForVerdict(child.url, 'crash', upload.body.contributionId ?? '');
    expect(verdict.state).toBe('accepted');

    // The ceremony goes on: Bob contributes through the whole CLI flow.
    const bobResult = await contributeAs(asServer(), ceremony, bob);
    expect(bobResult.contributions.map((c) => c.index)).toEqual([2]);
    // Alice's client never heard the verdict (the server died under it). Her next `contribute` run finds the
    // circuit done and saves the receipt she never got; a run after that finds it saved and adds nothing.
    const aliceResult = await contributeAs(asServer(), ceremony, alice);
    expect(aliceResult.contributions.map((c) => c.index)).toEqual([1]);
    const aliceReceipt = JSON.parse(await readFile(aliceResult.contributions[0]?.receipt ?? '', 'utf8')) as {
      seq: number;
      entry: string;
    };
    expect((await contributeAs(asServer(), ceremony, alice)).contributions).toEqual([]);

    // The log after the crash extends the log before it.
    const logKey = (await call<string>(child.url, 'GET', '/v1/log-key')).body.trim();
    const older = parseCheckpoint(verifyNote(before.body, logKey).body);
    const newer = parseCheckpoint(
      verifyNote((await call<string>(child.url, 'GET', '/v1/ceremonies/crash/checkpoint')).body, logKey).body,
    );
    const proof = await call<{ proof: string[] }>(
      child.url,
      'GET',
      `/v1/ceremonies/crash/proof/consistency?from=${older.size}&to=${newer.size}`,
    );
    expect(
      verifyConsistency(
        older.size,
        newer.size,
        older.rootHash,
        newer.rootHash,
        proof.body.proof.map((h) => fromHex(h, 32)),
      ),
    ).toBe(true);
    const lines = (await call<string>(child.url, 'GET', '/v1/ceremonies/crash/transcript')).body
      .trimEnd()
      .split('\n');
    expect(lines[aliceReceipt.seq], "Alice's late receipt is not the log's entry").toBe(aliceReceipt.entry);
    const entries = lines.map((l) => decodeEntryLine(l).entry);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i));
    expect(
      entries.filter((e) => e.type === 'contribution.accepted').map((e) => e.body.participantId),
    ).toEqual([alice.participantId, bob.participantId]);
    expect(entries).toHaveLength(newer.size);
    const accepted = entries.filter((e) => e.type === 'contribution.accepted');
    expect(accepted.map((e) => (e.body.verifier as { method: string }).method)).toEqual([
      'step+zKey.verifyFromInit',
      'step+zKey.verifyFromInit',
    ]);
  }, 400_000);

  it('killed mid-upload: nothing is accepted or logged, and the next upload of the turn is accepted', async () => {
    const asServer = () => ({ url: child.url, coordinator }) as unknown as TestServer;
    const ceremony = await setupCeremony(asServer(), {
      id: 'midstream',
      circuits: [mulchain],
      participants: 1,
    });
    const [carol] = ceremony.participants;
    if (!carol) throw new Error('participant missing');
    let token = await loginAs(child.url, carol.keys);
    const queued = await call<{ circuits: { state: string; latestZkeySha256: string }[] }>(
      child.url,
      'POST',
      '/v1/ceremonies/midstream/queue',
      { token },
    );
    expect(queued.body.circuits[0]?.state).toBe('active');
    const zkey0 = await downloadZkey(
      child.url,
      'midstream',
      'mulchain',
      0,
      join(ceremony.workDir, 'zkey0.zkey'),
    );
    const zkey1 = join(ceremony.workDir, 'zkey1.zkey');
    await contribute(zkey0, zkey1, 'carol', 'entropy that is never logged');
    const target = { ceremony: 'midstream', circuit: 'mulchain' };
    const attestation = await attestFile(
      zkey1,
      { ...target, index: 1, prevZkeySha256: queued.body.circuits[0]?.latestZkeySha256 ?? '' },
      carol.keys.secretKey,
    );
    const entriesNow = async () =>
      (await call<string>(child.url, 'GET', '/v1/ceremonies/midstream/transcript')).body
        .trimEnd()
        .split('\n');
    const before = await entriesNow();

    // Half the file, then the body stalls: the server holds the turn's partial upload when it dies.
    const bytes = await readFile(zkey1);
    const half = bytes.subarray(0, bytes.length >> 1);
    const stalled = fetch(`${child.url}/v1/ceremonies/midstream/circuits/mulchain/contribution`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(bytes.length),
        'x-ceremony-attestation': attestation,
      },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(half);
        },
      }),
      duplex: 'half',
    } as RequestInit).catch(() => undefined);
    await waitFor(async () => (await partialUploadBytes(join(dataDir, 'partial'))) >= half.length);
    await child.kill();
    await stalled;
    child = await startChildServer(env);

    expect(await entriesNow()).toEqual(before);
    const view = await call<{ circuits: { contributionIndex: number }[] }>(
      child.url,
      'GET',
      '/v1/ceremonies/midstream',
    );
    expect(view.body.circuits[0]?.contributionIndex).toBe(0);

    token = await loginAs(child.url, carol.keys);
    await call(child.url, 'POST', '/v1/ceremonies/midstream/queue', { token });
    let upload = await uploadZkey(child.url, token, target, zkey1, attestation);
    if (database.url !== undefined) {
      // The dead upload's claim (PostgreSQL keeps it, another API process could hold it) expires within seconds.
      const claimGone = Date.now() + 60_000;
      while (upload.status === 409 && Date.now() < claimGone) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        upload = await uploadZkey(child.url, token, target, zkey1, attestation);
      }
    }
    expect(upload.status).toBe(202);
    expect(await waitForVerdict(child.url, 'midstream', upload.body.contributionId ?? '')).toMatchObject({
      state: 'accepted',
    });
  }, 400_000);
});

async function partialUploadBytes(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const sizes = await Promise.all(
    names
      .filter((n) => n.endsWith('.zkey'))
      .map((n) =>
        stat(join(dir, n)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
  );
  return Math.max(0, ...sizes);
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
