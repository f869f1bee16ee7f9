// A coordinator whose log key is in a SoftHSM2 token: it checks the token before anything else and refuses to start
// naming the URI; its data dir and its backups hold no secret; appends answer 503 while the token is away (moved
// aside, as if unplugged), write nothing, and go on once it is back. The log key starts as a key file and is rotated
// into the token.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runVerify } from '../../src/cli/commands/verify.js';
import { main } from '../../src/cli/main.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, writeKeyFile } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { openTokenSigner } from '../../src/keys/open-signer.js';
import { encodeVerifierKey, verifyNote } from '../../src/transcript/note.js';
import { call, loginAs } from '../helpers/api.js';
import { createTestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { describeWithSoftHsm, type SoftHsm, startSoftHsm } from '../helpers/softhsm.js';

const ORIGIN = 'test.ceremony.local';
const LOG_KEY = 'pkcs11:token=ceremony;object=log-key';

async function run(argv: string[]): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  const out = createMemoryOutput(true);
  const code = await main([...argv, '--json'], out);
  return { code, json: JSON.parse(out.stdout() || '{}') as Record<string, unknown>, stderr: out.stderr() };
}

async function startRefusal(env: Record<string, string>): Promise<string> {
  try {
    const server = await startTestServer({ env });
    await server.destroy();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the server started');
}

describeWithSoftHsm('a coordinator whose log key is in a token (SoftHSM2)', () => {
  let hsm: SoftHsm;
  let work: string;
  let server: TestServer | undefined;
  let verifierKey = '';
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    hsm = await startSoftHsm();
    // What an operator exports for `serve` and the offline commands.
    Object.assign(process.env, hsm.env);
    await hsm.initToken('ceremony');
    await hsm.initToken('pin-test');
    work = await mkdtemp(join(tmpdir(), 'ceremony-pkcs11-server-'));
    for (const uri of [LOG_KEY, 'pkcs11:token=pin-test;object=log-key'])
      expect((await run(['keygen', '--pkcs11', uri])).code).toBe(0);
  });
  afterAll(async () => {
    await server?.destroy();
    process.env = savedEnv;
    await rm(work, { recursive: true, force: true });
    await rm(hsm.dir, { recursive: true, force: true });
  });

  it('refuses to start, naming the URI and never the PIN, when the token, the key or the PIN is wrong', async () => {
    expect(await startRefusal({ LOG_KEY: 'pkcs11:token=absent;object=log-key' })).toMatch(
      /^pkcs11:token=absent;object=log-key: no such token is present/,
    );
    expect(await startRefusal({ LOG_KEY: 'pkcs11:token=ceremony;object=no-such-key' })).toMatch(
      /^pkcs11:token=ceremony;object=no-such-key: no private key of that name in the token/,
    );
    const pinFile = join(work, 'wrong-pin');
    await writeFile(pinFile, '86420\n', { mode: 0o600 });
    const wrongPin = await startRefusal({
      LOG_KEY: `pkcs11:token=pin-test;object=log-key?pin-source=file:${pinFile}`,
    });
    expect(wrongPin).toMatch(
      /^pkcs11:token=pin-test;object=log-key: token 'pin-test' refused the PIN \(CKR_PIN_INCORRECT\)/,
    );
    expect(wrongPin).not.toContain('86420');
    expect(await startRefusal({ LOG_KEY: 'aa'.repeat(32) })).toMatch(/a raw hex seed is no longer taken/);
  });

  it('rotates a key file into the token: the file leaves the data dir, the log names the token key', async () => {
    server = await startTestServer();
    const token = await loginAs(server.url, server.coordinator);
    expect(
      (await call(server.url, 'POST', '/v1/ceremonies', { token, json: { id: 'hsm', title: 'HSM' } })).status,
    ).toBe(201);
    await server.stop();
    const coordinatorFile = join(work, 'coordinator.key');
    await writeKeyFile(coordinatorFile, server.coordinator);
    const rotated = await run([
      'rotate-log-key',
      '--data-dir',
      server.dataDir,
      ...(server.config.databaseUrl ? ['--database-url', server.config.databaseUrl] : []),
      '--new-log-key',
      LOG_KEY,
      '--key',
      coordinatorFile,
    ]);
    expect(rotated.stderr).toBe('');
    expect(rotated.json).toMatchObject({
      oldKeySigned: true,
      keyFile: null,
      removedKeyFile: true,
      serveWith: LOG_KEY,
    });
    // With the log key in a token, the data dir holds no secret.
    expect(await readdir(server.dataDir)).not.toContain('log-key');
    const tokenKey = await openTokenSigner(LOG_KEY);
    verifierKey = encodeVerifierKey(ORIGIN, tokenKey.publicKey);
    tokenKey.close();
    expect(rotated.json.newLogKey).toBe(verifierKey);

    server = await server.restart({ LOG_KEY });
    expect((await call<string>(server.url, 'GET', '/v1/log-key')).body.trim()).toBe(verifierKey);
    const output = createMemoryOutput(true);
    await runVerify({ server: server.url, ceremony: 'hsm', full: false, json: true, output });
    const checks = (
      JSON.parse(output.stdout()) as { checks: { name: string; status: string; detail: string }[] }
    ).checks;
    expect(checks.find((c) => c.name === 'log.key-rotations')?.status).toBe('pass');
    // No circuit in this ceremony (no snarkjs work needed here): the chain check says so, nothing else fails.
    expect(checks.filter((c) => c.status === 'fail' && c.detail !== 'no circuit.added entry')).toEqual([]);
  });

  it('appends answer 503 while the token is away, write nothing, and go on once it is back', async () => {
    const live = server as TestServer;
    const token = await loginAs(live.url, live.coordinator);
    const add = (name: string) =>
      call(live.url, 'POST', '/v1/ceremonies/hsm/participants', {
        token,
        json: { name, publicKey: toHex(generateKeyPair().publicKey) },
      });
    expect((await add('alice')).status).toBe(201);
    const size = async () =>
      (await call<{ transcriptSize: number }>(live.url, 'GET', '/v1/ceremonies/hsm')).body.transcriptSize;
    const stored = async () => {
      const [entries] = await live.built.services.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM transcript_entries WHERE ceremony_id = 'hsm'",
      );
      const [signed] = await live.built.services.db.query<{ n: number }>(
        "SELECT max(tree_size)::int AS n FROM checkpoints WHERE ceremony_id = 'hsm'",
      );
      return { entries: entries?.n, signed: signed?.n };
    };
    expect(await stored()).toEqual({ entries: 3, signed: 3 });

    const plugBack = await hsm.unplug();
    for (const name of ['bob', 'bob']) {
      const refused = await add(name);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ error: { code: 'UNAVAILABLE' } });
    }
    // Nothing half-written: no entry without its checkpoint, no participant without its entry.
    expect(await stored()).toEqual({ entries: 3, signed: 3 });
    expect(await size()).toBe(3);
    await plugBack();
    // The token is tried again at most once a second.
    let answer = await add('bob');
    for (let i = 0; i < 50 && answer.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 200));
      answer = await add('bob');
    }
    expect(answer.status).toBe(201);
    expect(await stored()).toEqual({ entries: 4, signed: 4 });
    const checkpoint = (await call<string>(live.url, 'GET', '/v1/ceremonies/hsm/checkpoint')).body;
    expect(() => verifyNote(checkpoint, verifierKey)).not.toThrow();
  });

  it('backs up no secret; restore takes the key apart and refuses another', async () => {
    const coordinatorFile = join(work, 'coordinator.key');
    const backup = join(work, 'backup');
    expect(
      (
        await run([
          'admin',
          'backup',
          '--server',
          (server as TestServer).url,
          '--key',
          coordinatorFile,
          '--out',
          backup,
        ])
      ).code,
    ).toBe(0);
    const manifest = JSON.parse(await readFile(join(backup, 'manifest.json'), 'utf8')) as {
      format: string;
      logKey: unknown;
      files: { path: string }[];
    };
    expect(manifest.format).toBe('ceremony-backup/v2');
    const served = (await call<string>((server as TestServer).url, 'GET', '/v1/log-key')).body.trim();
    expect(served).toBe(verifierKey);
    expect(manifest.logKey).toEqual({ source: 'configured', verifierKey });
    expect(manifest.files.map((f) => f.path)).not.toContain('data/log-key');

    const target = await createTestDatabase();
    const restore = (extra: string[]) =>
      run([
        'restore',
        '--from',
        backup,
        '--data-dir',
        join(work, `restored-${extra.length}`),
        ...(target.url ? ['--database-url', target.url] : []),
        ...extra,
      ]);
    try {
      const saved = process.env.LOG_KEY;
      delete process.env.LOG_KEY;
      const without = await restore([]);
      expect(without.code).toBe(1);
      expect(without.stderr).toMatch(
        /the backup holds no log key \(its key is .*\): give it with --log-key FILE\|URI/,
      );
      const otherFile = join(work, 'other.key');
      await writeKeyFile(otherFile, generateKeyPair());
      const other = await restore(['--log-key', otherFile]);
      expect(other.stderr).toMatch(/the log key given is not the backup's/);
      const restored = await restore(['--log-key', LOG_KEY]);
      expect(restored.stderr).toBe('');
      expect(restored.json).toMatchObject({
        logKey: { serveWith: LOG_KEY },
        ceremonies: [{ ceremony: 'hsm', restoredSize: 4, noticeSeq: 4 }],
      });
      if (saved !== undefined) process.env.LOG_KEY = saved;
    } finally {
      await target.drop();
    }
  });
});
