// The coordinator SIGKILLed while it builds an initial zkey and while it finalizes, then restarted: the job that was
// cut short runs again and finishes once. Published files deleted while it is down are regenerated at start.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, writeKeyFile } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { openDatabase } from '../../src/db/database.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { call, loginAs } from '../helpers/api.js';
import { contributeAs, mulchain, type TestCeremony } from '../helpers/ceremony.js';
import { type ChildServer, startChildServer } from '../helpers/child-server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import type { TestServer } from '../helpers/server.js';

describe('the server killed during setup and finalization', () => {
  let dataDir: string;
  let database: TestDatabase;
  let env: Record<string, string>;
  let child: ChildServer;
  const coordinator = generateKeyPair();
  const alice = generateKeyPair();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ceremony-phases-'));
    database = await createTestDatabase();
    env = {
      DATA_DIR: dataDir,
      TRANSCRIPTS_DIR: join(dataDir, 'published'),
      COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
      CEREMONY_ORIGIN: 'phases.ceremony.local',
      SCHEDULER_INTERVAL_MS: '200',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    };
    child = await startChildServer(env);
  }, 600_000);
  afterAll(async () => {
    await child?.kill();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Reads what the killed server left in its database. */
  async function readLeftovers<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    const db = await openDatabase({ url: database.url, dataDir: join(dataDir, 'pgdata') });
    try {
      return await db.query<T>(sql, params);
    } finally {
      await db.close();
    }
  }

  async function waitForCeremony(predicate: (view: Record<string, unknown>) => boolean): Promise<void> {
    for (let i = 0; i < 3000; i++) {
      const view = await call<Record<string, unknown>>(child.url, 'GET', '/v1/ceremonies/phases');
      if (predicate(view.body)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('waitForCeremony: the ceremony never reached the expected state');
  }

  const transcriptLines = async () =>
    (await call<string>(child.url, 'GET', '/v1/ceremonies/phases/transcript')).body.trimEnd().split('\n');

  it('builds the initial zkey after a crash during setup, and finalizes once after a crash during finalization', async () => {
    const workDir = join(dataDir, 'work');
    const keyFile = join(workDir, 'coordinator.key');
    await writeKeyFile(keyFile, coordinator);
    const adminOptions: admin.AdminOptions = {
      server: child.url,
      keyFile,
      ceremony: 'phases',
      output: createMemoryOutput(),
      pollIntervalMs: 100,
    };
    await admin.createCeremony({ ...adminOptions, title: 'Crash phases', timeoutSeconds: 300 });
    let token = await loginAs(child.url, coordinator);
    const putBlob = async (path: string) =>
      (
        await call<{ sha256: string }>(child.url, 'PUT', '/v1/blobs', {
          token,
          body: await readFile(path),
          headers: { 'content-type': 'application/octet-stream' },
        })
      ).body.sha256;
    const added = await call<{ status: string }>(child.url, 'POST', '/v1/ceremonies/phases/circuits', {
      token,
      json: {
        name: 'mulchain',
        r1csSha256: await putBlob(mulchain.r1cs),
        ptauSha256: await putBlob(mulchain.ptau),
      },
    });
    expect(added.body.status).toBe('preparing');
    await child.kill();
    const [setupLeft] = await readLeftovers<{ status: string; job: string }>(
      `SELECT c.status, j.state AS job FROM circuits c, jobs j WHERE c.ceremony_id = 'phases' AND j.kind = 'circuit.setup'`,
    );
    expect(setupLeft?.status).toBe('preparing');
    expect(setupLeft?.job).not.toBe('done');

    child = await startChildServer(env);
    adminOptions.server = child.url;
    await waitForCeremony((v) => (v.circuits as { status: string }[])[0]?.status === 'ready');
    const record = await admin.addParticipant({
      ...adminOptions,
      name: 'alice',
      publicKey: toHex(alice.publicKey),
    });
    await admin.openCeremony(adminOptions);
    const aliceKeyFile = join(workDir, 'alice.key');
    await writeKeyFile(aliceKeyFile, alice);
    const ceremony = { id: 'phases', workDir } as TestCeremony;
    const asServer = { url: child.url, coordinator } as unknown as TestServer;
    await contributeAs(asServer, ceremony, {
      participantId: record.participantId,
      name: 'alice',
      keys: alice,
      keyFile: aliceKeyFile,
    });

    token = await loginAs(child.url, coordinator);
    const finalizing = await call(child.url, 'POST', '/v1/ceremonies/phases/finalize', {
      token,
      json: { beaconHex: 'cd'.repeat(32), beaconSource: 'test beacon', iterationsExp: 10 },
    });
    expect(finalizing.status).toBe(202);
    await child.kill();
    const [finalizeLeft] = await readLeftovers<{ state: string; job: string }>(
      `SELECT c.state, j.state AS job FROM ceremonies c, jobs j WHERE c.id = 'phases' AND j.kind = 'ceremony.finalize'`,
    );
    expect(finalizeLeft?.state).not.toBe('finalized');
    expect(finalizeLeft?.job).not.toBe('done');

    child = await startChildServer(env);
    await waitForCeremony((v) => v.state === 'finalized');
    const types = (await transcriptLines()).map((l) => decodeEntryLine(l).entry.type);
    expect(types.filter((t) => t === 'beacon.applied')).toHaveLength(1);
    expect(types.filter((t) => t === 'ceremony.finalized')).toHaveLength(1);
    expect(types.at(-1)).toBe('ceremony.finalized');
  }, 900_000);

  it('regenerates published files deleted while it was down', async () => {
    const published = join(dataDir, 'published', 'phases');
    const expected = `${(await transcriptLines()).join('\n')}\n`;
    await child.kill();
    await rm(published, { recursive: true, force: true });
    child = await startChildServer(env);
    // The signed text of the checkpoint (signature lines may differ in cosignatures, not in the log's own).
    const bodyOf = (note: string | undefined) => note?.split('\n\n')[0];
    const checkpoint = bodyOf(
      (await call<string>(child.url, 'GET', '/v1/ceremonies/phases/checkpoint')).body,
    );
    const read = (name: string) => readFile(join(published, name), 'utf8').catch(() => undefined);
    let files: (string | undefined)[] = [];
    for (let i = 0; i < 3000; i++) {
      files = [await read('transcript.jsonl'), bodyOf(await read('checkpoint'))];
      if (files[0] === expected && files[1] === checkpoint) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(files).toEqual([expected, checkpoint]);
  }, 600_000);
});
