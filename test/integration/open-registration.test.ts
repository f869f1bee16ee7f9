import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { runContribute } from '../../src/cli/commands/contribute.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, writeKeyFile } from '../../src/crypto/ed25519.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { call, loginAs, tryLogin } from '../helpers/api.js';
import { affine } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('a ceremony open to all', () => {
  let server: TestServer;
  let work: string;
  beforeAll(async () => {
    server = await startTestServer();
    work = await mkdtemp(join(tmpdir(), 'ceremony-open-'));
    const keyFile = join(work, 'coordinator.key');
    await writeKeyFile(keyFile, server.coordinator);
    const options = { server: server.url, keyFile, output: createMemoryOutput(), pollIntervalMs: 100 };
    await admin.createCeremony({
      ...options,
      ceremony: 'open',
      title: 'Open to all',
      openRegistration: true,
    });
    await admin.addCircuit({ ...options, ceremony: 'open', ...affine });
    await admin.openCeremony({ ...options, ceremony: 'open' });
    await admin.createCeremony({ ...options, ceremony: 'closed-list', title: 'Allowlist only' });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('lets a new key register itself through `ceremony contribute --name` and contribute', async () => {
    const keyFile = join(work, 'walk-in.key');
    await writeKeyFile(keyFile, generateKeyPair());
    const result = await runContribute({
      server: server.url,
      keyFile,
      ceremony: 'open',
      name: 'walk-in operator',
      receiptDir: join(work, 'receipts'),
      output: createMemoryOutput(),
      pollIntervalMs: 100,
    });
    expect(result.contributions.map((c) => c.index)).toEqual([1]);
    const lines = (await call<string>(server.url, 'GET', '/v1/ceremonies/open/transcript')).body
      .trimEnd()
      .split('\n');
    const registered = lines
      .map((l) => decodeEntryLine(l).entry)
      .find((e) => e.type === 'participant.registered');
    expect(registered?.body).toMatchObject({ participantId: result.participantId, name: 'walk-in operator' });
  });

  it('asks a new key for --name instead of registering a made-up one, and registers nothing', async () => {
    const keyFile = join(work, 'nameless.key');
    await writeKeyFile(keyFile, generateKeyPair());
    const before = (await call<string>(server.url, 'GET', '/v1/ceremonies/open/transcript')).body;
    const attempt = runContribute({
      server: server.url,
      keyFile,
      ceremony: 'open',
      receiptDir: join(work, 'receipts-nameless'),
      output: createMemoryOutput(),
      pollIntervalMs: 100,
    });
    await expect(attempt).rejects.toThrow(/open to all and does not know this key yet: give --name TEXT/);
    expect((await call<string>(server.url, 'GET', '/v1/ceremonies/open/transcript')).body).toBe(before);
  });

  it('refuses self-registration where the coordinator keeps an allowlist', async () => {
    const stranger = generateKeyPair();
    const atLogin = await tryLogin(server.url, stranger, { ceremony: 'closed-list', name: 'intruder' });
    expect(atLogin.status).toBe(403);
    expect(atLogin.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    // A key known from the open ceremony logs in, and still cannot register itself in the allowlisted one.
    const walkIn = generateKeyPair();
    const token = await loginAs(server.url, walkIn, { ceremony: 'open', name: 'walk-in two' });
    const answer = await call(server.url, 'POST', '/v1/ceremonies/closed-list/register', {
      token,
      json: { name: 'intruder' },
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('registers and logs in in one step, and refuses a login to a key it does not know', async () => {
    const newcomer = generateKeyPair();
    const unknown = await tryLogin(server.url, newcomer);
    expect(unknown.status).toBe(403);
    const joined = await tryLogin(server.url, newcomer, { ceremony: 'open', name: 'newcomer' });
    expect(joined.status).toBe(200);
    const me = await call(server.url, 'GET', '/v1/ceremonies/open/me', { token: joined.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: 'newcomer', inQueue: false });
  });
});
