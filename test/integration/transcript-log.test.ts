import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { fromHex, toHex } from '../../src/crypto/hex.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { verifyConsistency, verifyInclusion } from '../../src/transcript/merkle.js';
import { parseCheckpoint, parseVerifierKey, verifyNote } from '../../src/transcript/note.js';
import { call, loginAs } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('the transcript log over HTTP', () => {
  let server: TestServer;
  let token: string;
  let logKey: string;

  beforeAll(async () => {
    server = await startTestServer();
    token = await loginAs(server.url, server.coordinator);
    await call(server.url, 'POST', '/v1/ceremonies', { token, json: { id: 'log', title: 'Log test' } });
    for (let i = 0; i < 9; i++) {
      const answer = await call(server.url, 'POST', '/v1/ceremonies/log/participants', {
        token,
        json: { name: `operator ${i}`, publicKey: toHex(generateKeyPair().publicKey) },
      });
      expect(answer.status).toBe(201);
    }
    logKey = (await call<string>(server.url, 'GET', '/v1/log-key')).body.trim();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('serves its verifier key in C2SP form, named after the origin', () => {
    const parsed = parseVerifierKey(logKey);
    expect(parsed.name).toBe('test.ceremony.local');
    expect(logKey.startsWith(`test.ceremony.local+${toHex(parsed.keyId)}+`)).toBe(true);
  });

  it('signs a checkpoint after every append and keeps every one, each consistent with the next', async () => {
    const lines = (await call<string>(server.url, 'GET', '/v1/ceremonies/log/transcript')).body
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(10);
    const heads = [];
    for (let size = 1; size <= lines.length; size++) {
      const note = (await call<string>(server.url, 'GET', `/v1/ceremonies/log/checkpoints/${size}`)).body;
      const checkpoint = parseCheckpoint(verifyNote(note, logKey).body);
      expect(checkpoint).toMatchObject({ origin: 'test.ceremony.local/ceremonies/log', size });
      heads.push(checkpoint);
    }
    for (const older of heads) {
      for (const newer of heads.filter((h) => h.size >= older.size)) {
        const { body } = await call<{ proof: string[] }>(
          server.url,
          'GET',
          `/v1/ceremonies/log/proof/consistency?from=${older.size}&to=${newer.size}`,
        );
        const proof = body.proof.map((h) => fromHex(h, 32));
        expect(verifyConsistency(older.size, newer.size, older.rootHash, newer.rootHash, proof)).toBe(true);
      }
    }
  });

  it('proves every entry is included in every tree that holds it', async () => {
    const lines = (await call<string>(server.url, 'GET', '/v1/ceremonies/log/transcript')).body
      .trimEnd()
      .split('\n');
    for (let size = 1; size <= lines.length; size++) {
      const head = parseCheckpoint(
        verifyNote(
          (await call<string>(server.url, 'GET', `/v1/ceremonies/log/checkpoints/${size}`)).body,
          logKey,
        ).body,
      );
      for (let seq = 0; seq < size; seq++) {
        const { body } = await call<{ leafHash: string; proof: string[] }>(
          server.url,
          'GET',
          `/v1/ceremonies/log/proof/inclusion?seq=${seq}&size=${size}`,
        );
        const leaf = decodeEntryLine(lines[seq] ?? '').leafHash;
        expect(body.leafHash).toBe(toHex(leaf));
        expect(
          verifyInclusion(
            leaf,
            seq,
            size,
            body.proof.map((h) => fromHex(h, 32)),
            head.rootHash,
          ),
        ).toBe(true);
      }
    }
    const beyond = await call(
      server.url,
      'GET',
      `/v1/ceremonies/log/proof/inclusion?seq=0&size=${lines.length + 1}`,
    );
    expect(beyond.status).toBe(404);
  });

  it('refuses to sign a checkpoint over a stored tree that no longer matches the last one signed', async () => {
    const before = (await call<string>(server.url, 'GET', '/v1/ceremonies/log/checkpoint')).body;
    // Someone with database access rewrites the stored hash of the subtree over entries 0-7.
    await server.built.services.db.query(
      `UPDATE merkle_nodes SET hash = $1 WHERE ceremony_id = 'log' AND level = 3 AND idx = 0`,
      ['ab'.repeat(32)],
    );
    const answer = await call(server.url, 'POST', '/v1/ceremonies/log/participants', {
      token,
      json: { name: 'late operator', publicKey: toHex(generateKeyPair().publicKey) },
    });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: { code: 'INCONSISTENT_CHECKPOINT', message: expect.any(String) } });
    expect((await call<string>(server.url, 'GET', '/v1/ceremonies/log/checkpoint')).body).toBe(before);
    const lines = (await call<string>(server.url, 'GET', '/v1/ceremonies/log/transcript')).body
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(10);
  });
});
