// `ceremony rotate-log-key` on a real coordinator's data dir and database: the log announces the new key, later
// checkpoints are signed by it, `ceremony verify` follows the rotation, and a server holding a key the logs do
// not name refuses to start. Then the same with the old key lost.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerify } from '../../src/cli/commands/verify.js';
import { main } from '../../src/cli/main.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, type KeyPair, writeKeyFile } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { encodeVerifierKey } from '../../src/transcript/note.js';
import { call, loginAs } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CEREMONY = 'rotation';

async function run(argv: string[]): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  const out = createMemoryOutput(true);
  const code = await main([...argv, '--json'], out);
  return { code, json: JSON.parse(out.stdout() || '{}') as Record<string, unknown>, stderr: out.stderr() };
}

interface Check {
  name: string;
  status: string;
  detail: string;
}

describe('rotating the log key', () => {
  let server: TestServer;
  let work: string;
  let coordinatorFile: string;
  const logKey = async () => (await call<string>(server.url, 'GET', '/v1/log-key')).body.trim();
  const addParticipant = async (name: string) => {
    const token = await loginAs(server.url, server.coordinator);
    const answer = await call(server.url, 'POST', `/v1/ceremonies/${CEREMONY}/participants`, {
      token,
      json: { name, publicKey: toHex(generateKeyPair().publicKey) },
    });
    expect(answer.status).toBe(201);
  };
  const newKeyFile = async (keys: KeyPair) => {
    const path = join(work, `${toHex(keys.publicKey).slice(0, 8)}.key`);
    await writeKeyFile(path, keys);
    return path;
  };
  const databaseFlags = () =>
    server.config.databaseUrl ? ['--database-url', server.config.databaseUrl] : [];
  const verify = async (options: { logKey?: string; checkpoint?: string } = {}) => {
    const output = createMemoryOutput(true);
    const code = await runVerify({
      server: server.url,
      ceremony: CEREMONY,
      full: false,
      json: true,
      output,
      ...options,
    });
    const checks = (JSON.parse(output.stdout()) as { checks: Check[] }).checks;
    return {
      code,
      // This ceremony has no circuit (setting one up is snarkjs work this test does not need): the chain check says so.
      failed: checks.filter((c) => c.status === 'fail' && c.detail !== 'no circuit.added entry'),
      check: (name: string) => checks.find((c) => c.name === name),
    };
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'ceremony-rotation-'));
    server = await startTestServer();
    coordinatorFile = await newKeyFile(server.coordinator);
    const token = await loginAs(server.url, server.coordinator);
    const created = await call(server.url, 'POST', '/v1/ceremonies', {
      token,
      json: { id: CEREMONY, title: 'Log key rotation' },
    });
    expect(created.status).toBe(201);
    await addParticipant('alice');
  });

  afterAll(async () => {
    await server?.destroy();
    await rm(work, { recursive: true, force: true });
  });

  it('announces the new key in the log, signs on with it, and verify follows', async () => {
    const oldKey = await logKey();
    const keptBefore = join(work, 'before.txt');
    await writeFile(
      keptBefore,
      (await call<string>(server.url, 'GET', `/v1/ceremonies/${CEREMONY}/checkpoint`)).body,
    );
    await server.stop();

    const next = generateKeyPair();
    const nextFile = await newKeyFile(next);
    const rotated = await run([
      'rotate-log-key',
      '--data-dir',
      server.dataDir,
      ...databaseFlags(),
      '--new-log-key',
      nextFile,
      '--key',
      coordinatorFile,
    ]);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const newKey = encodeVerifierKey('test.ceremony.local', next.publicKey);
    expect(rotated.json).toMatchObject({ oldLogKey: oldKey, newLogKey: newKey, oldKeySigned: true });
    expect(rotated.json.ceremonies).toEqual([{ ceremony: CEREMONY, seq: 2 }]);
    // Run again (as after a crash before the key file was written): nothing is appended twice.
    const again = await run([
      'rotate-log-key',
      '--data-dir',
      server.dataDir,
      ...databaseFlags(),
      '--new-log-key',
      nextFile,
      '--key',
      coordinatorFile,
    ]);
    expect(again.code).toBe(1);
    expect(again.json).toMatchObject({ error: { message: expect.stringContaining('is the key in force') } });

    server = await server.restart();
    expect(await logKey()).toBe(newKey);
    await addParticipant('bob');
    const transcript = (await call<string>(server.url, 'GET', `/v1/ceremonies/${CEREMONY}/transcript`)).body;
    const rotation = JSON.parse(transcript.split('\n')[2]!) as {
      type: string;
      body: Record<string, unknown>;
    };
    expect(rotation.type).toBe('log.key-rotated');
    expect(rotation.body).toMatchObject({
      oldLogKey: oldKey,
      newLogKey: newKey,
      coordinator: toHex(server.coordinator.publicKey),
      oldKeySignature: expect.stringMatching(/^[0-9a-f]{128}$/),
    });

    const pinnedOld = await verify({ logKey: oldKey, checkpoint: keptBefore });
    expect(pinnedOld.failed).toEqual([]);
    expect(pinnedOld.check('log.key-rotations')).toMatchObject({ status: 'pass' });
    expect(pinnedOld.check('log.key-rotations')?.detail).toContain('signed by the old key, the new key');
    expect(pinnedOld.check('checkpoints.history')).toMatchObject({ status: 'pass' });
    expect(pinnedOld.check('checkpoint.older')).toMatchObject({ status: 'pass' });
    expect((await verify({ logKey: newKey })).failed).toEqual([]);
    const stranger = encodeVerifierKey('test.ceremony.local', generateKeyPair().publicKey);
    expect((await verify({ logKey: stranger })).failed.map((c) => c.name)).toContain('checkpoint.signature');
  });

  it('refuses to start with a key the logs do not name, then rotates away from a lost key', async () => {
    await server.stop();
    await rm(join(server.dataDir, 'log-key'));
    // With the key gone, serve would sign with a fresh one: it refuses, and makes no key.
    await expect(server.restart()).rejects.toThrow(/log-key is missing, but the database holds signed logs/);
    await expect(readFile(join(server.dataDir, 'log-key'))).rejects.toThrow(/ENOENT/);
    const lostKey = await logKeyOfStoppedServer(server);

    const refused = await run([
      'rotate-log-key',
      '--data-dir',
      server.dataDir,
      ...databaseFlags(),
      '--new-log-key',
      await newKeyFile(generateKeyPair()),
      '--key',
      coordinatorFile,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({ error: { message: expect.stringContaining('--lost-log-key') } });

    const next = generateKeyPair();
    const rotated = await run([
      'rotate-log-key',
      '--data-dir',
      server.dataDir,
      ...databaseFlags(),
      '--new-log-key',
      await newKeyFile(next),
      '--key',
      coordinatorFile,
      '--lost-log-key',
      lostKey,
    ]);
    expect(rotated.json).toMatchObject({ oldLogKey: lostKey, oldKeySigned: false });
    expect(rotated.code).toBe(0);

    server = await server.restart();
    await addParticipant('carol');
    const audit = await verify();
    expect(audit.failed).toEqual([]);
    expect(audit.check('log.key-rotations')?.detail).toMatch(
      /^2 log key rotation\(s\): .*signed by the old key.*; .*the old key did not sign \(declared lost\)/,
    );
  });
});

/** The key that signed the logs last, as the published files of the stopped server still name it. */
async function logKeyOfStoppedServer(server: TestServer): Promise<string> {
  return (await readFile(join(server.config.transcriptsDir, CEREMONY, 'log-key.pub'), 'utf8')).trim();
}
