import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestationMessage } from '../../src/ceremony/attestation.js';
import { generateKeyPair, sign } from '../../src/crypto/ed25519.js';
import { fromHex, toHex } from '../../src/crypto/hex.js';
import { contribute } from '../../src/snark/runner.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { sha256File } from '../../src/storage/file-hash.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { verifyConsistency } from '../../src/transcript/merkle.js';
import { parseCheckpoint, verifyNote } from '../../src/transcript/note.js';
import { call, loginAs } from '../helpers/api.js';
import { contributeAs, mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { type ChildServer, startChildServer } from '../helpers/child-server.js';
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
    const zkey0 = join(ceremony.workDir, 'zkey0.zkey');
    await writeFile(
      zkey0,
      Buffer.from(
        await (await fetch(`${child.url}/v1/ceremonies/crash/circuits/mulchain/zkeys/0`)).arrayBuffer(),
      ),
    );
    const zkey1 = join(ceremony.workDir, 'zkey1.zkey');
    await contribute(zkey0, zkey1, 'alice', 'entropy that is never logged');
    const zkeySha256 = await sha256File(zkey1);
    const contributionHash = (await readZkeyInfo(zkey1)).contributions.at(-1)?.contributionHash ?? '';
    const attestation = toHex(
      sign(
        attestationMessage({
          ceremony: 'crash',
          circuit: 'mulchain',
          index: 1,
          prevZkeySha256: queued.body.circuits[0]?.latestZkeySha256 ?? '',
          zkeySha256,
          contributionHash,
        }),
        alice.keys.secretKey,
      ),
    );
    const before = await call<string>(child.url, 'GET', '/v1/ceremonies/crash/checkpoint');
    const upload = await call<{ contributionId: string; state: string }>(
      child.url,
      'PUT',
      '/v1/ceremonies/crash/circuits/mulchain/contribution',
      {
        token,
        body: Readable.toWeb(createReadStream(zkey1)) as ReadableStream,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String((await stat(zkey1)).size),
          'x-ceremony-attestation': attestation,
        },
      },
    );
    expect(upload.status).toBe(202);
    expect(upload.body.state).toBe('verifying');

    await child.kill();
    child = await startChildServer(env);

    let verdict = { state: 'verifying' };
    for (let i = 0; i < 150 && verdict.state === 'verifying'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      verdict = (
        await call<typeof verdict>(
          child.url,
          'GET',
          `/v1/ceremonies/crash/contributions/${upload.body.contributionId}`,
        )
      ).body;
    }
    expect(verdict.state).toBe('accepted');

    // The ceremony goes on: Bob contributes through the whole CLI flow.
    const bobResult = await contributeAs(asServer(), ceremony, bob);
    expect(bobResult.contributions.map((c) => c.index)).toEqual([2]);

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
    const entries = (await call<string>(child.url, 'GET', '/v1/ceremonies/crash/transcript')).body
      .trimEnd()
      .split('\n')
      .map((l) => decodeEntryLine(l).entry);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i));
    expect(
      entries.filter((e) => e.type === 'contribution.accepted').map((e) => e.body.participantId),
    ).toEqual([alice.participantId, bob.participantId]);
    expect(entries).toHaveLength(newer.size);
  });
});
