import { copyFile, open, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestationMessage } from '../../src/ceremony/attestation.js';
import { runUpload } from '../../src/cli/commands/upload.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, type KeyPair, sign } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { contribute, createInitialZkey } from '../../src/snark/runner.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { sha256File } from '../../src/storage/file-hash.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { call, loginAs } from '../helpers/api.js';
import {
  affine,
  mulchain,
  setupCeremony,
  type TestCeremony,
  type TestParticipant,
} from '../helpers/ceremony.js';
import { attestFile, downloadZkey, uploadZkey, waitForVerdict } from '../helpers/contribution.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface CircuitState {
  contributionIndex: number;
  latestZkeySha256: string;
}

describe('contributions that must be refused', () => {
  let server: TestServer;
  let ceremony: TestCeremony;
  let alice: TestParticipant;
  let bob: TestParticipant;
  let carol: TestParticipant;
  const tokens = new Map<string, string>();
  let zkey0: string;
  let work: string;

  const token = (p: TestParticipant) => tokens.get(p.participantId) ?? '';
  const circuitState = async (): Promise<CircuitState> => {
    const view = await call<{ circuits: CircuitState[] }>(server.url, 'GET', '/v1/ceremonies/rejects');
    const c = view.body.circuits[0] as CircuitState;
    return { contributionIndex: c.contributionIndex, latestZkeySha256: c.latestZkeySha256 };
  };
  const entryTypes = async () => {
    const t = await call<string>(server.url, 'GET', '/v1/ceremonies/rejects/transcript');
    return t.body
      .trimEnd()
      .split('\n')
      .map((l) => decodeEntryLine(l).entry);
  };
  const joinQueue = async (p: TestParticipant) => {
    const status = await call<{ circuits: { state: string }[] }>(
      server.url,
      'POST',
      '/v1/ceremonies/rejects/queue',
      { token: token(p) },
    );
    expect(status.status).toBe(200);
    return status.body.circuits[0]?.state;
  };

  /** Signs the attestation for `path` as the next contribution on top of the current zkey. */
  const attest = async (path: string, signer: KeyPair) => {
    const state = await circuitState();
    const fields = { ceremony: 'rejects', circuit: 'mulchain', index: state.contributionIndex + 1 };
    return attestFile(path, { ...fields, prevZkeySha256: state.latestZkeySha256 }, signer.secretKey);
  };
  const upload = (p: TestParticipant, path: string, attestation: string) =>
    uploadZkey(server.url, token(p), { ceremony: 'rejects', circuit: 'mulchain' }, path, attestation);

  const myState = async (p: TestParticipant) => {
    const me = await call<{ circuits: { state: string }[] }>(server.url, 'GET', '/v1/ceremonies/rejects/me', {
      token: token(p),
    });
    return me.body.circuits[0]?.state;
  };
  const currentParticipant = async () => {
    const view = await call<{ circuits: { currentParticipant: string | null }[] }>(
      server.url,
      'GET',
      '/v1/ceremonies/rejects',
    );
    return view.body.circuits[0]?.currentParticipant;
  };
  /** A fresh contribution of `p` on top of zkey0, in a file of this test's own. */
  const contributeFresh = async (p: TestParticipant, file: string) => {
    const out = join(work, file);
    await contribute(zkey0, out, p.name, `${p.name} entropy for ${file}`);
    return out;
  };

  /** Uploads and expects a quick refusal that changes nothing but the log and, when logged, releases the turn. */
  const expectRefused = async (
    p: TestParticipant,
    path: string,
    attestation: string,
    code: string,
    status = 422,
    statement?: string,
  ) => {
    const before = await circuitState();
    const holder = await currentParticipant();
    const logged = (await entryTypes()).length;
    const answer = await uploadZkey(
      server.url,
      token(p),
      { ceremony: 'rejects', circuit: 'mulchain' },
      path,
      attestation,
      statement,
    );
    expect(answer.status).toBe(status);
    expect(answer.body.error?.code).toBe(code);
    expect(await circuitState()).toEqual(before);
    const added = (await entryTypes()).slice(logged).map((e) => `${e.type} ${String(e.body.reason)}`);
    // Refused before the body is read (not the turn holder, too large): nothing logged, the holder keeps the turn.
    if (code === 'NOT_YOUR_TURN' || code === 'PAYLOAD_TOO_LARGE') {
      expect(added).toEqual([]);
      expect(await currentParticipant()).toBe(holder);
      return;
    }
    // The refusal is the turn's end, logged once with its real reason: never as an expired turn.
    expect(added).toEqual([`contribution.rejected ${code}`]);
    // The refused turn is over: nobody holds the circuit and the participant is out of line until joining again.
    expect(holder).toBe(p.participantId);
    expect(await currentParticipant()).toBeNull();
    expect(await myState(p)).toBe('none');
  };

  beforeAll(async () => {
    // These participants never heartbeat: a long grace keeps a slow machine from expiring their turns mid-test.
    server = await startTestServer({ env: { HEARTBEAT_GRACE_SECONDS: '3600' } });
    ceremony = await setupCeremony(server, { id: 'rejects', circuits: [mulchain], participants: 3 });
    [alice, bob, carol] = ceremony.participants as [TestParticipant, TestParticipant, TestParticipant];
    for (const p of ceremony.participants) tokens.set(p.participantId, await loginAs(server.url, p.keys));
    work = ceremony.workDir;
    zkey0 = join(work, 'zkey0.zkey');
    await downloadZkey(server.url, 'rejects', 'mulchain', 0, zkey0);
  }, 600_000);
  afterAll(async () => {
    await server?.destroy();
  });

  it('refuses an upload from a participant who does not hold the turn, and logs nothing', async () => {
    expect(await joinQueue(alice)).toBe('active');
    const entriesBefore = (await entryTypes()).length;
    const next = join(work, 'carol.zkey');
    await contribute(zkey0, next, 'carol', 'carol entropy');
    // The turn is checked before a byte of the body is read, and the refused connection is closed: a body that fits
    // in the socket's buffers keeps the client from failing its own write before it reads the 409.
    const head = join(work, 'carol-head.zkey');
    await writeFile(head, (await readFile(next)).subarray(0, 32 * 1024));
    await expectRefused(carol, head, await attest(next, carol.keys), 'NOT_YOUR_TURN', 409);
    expect((await entryTypes()).length).toBe(entriesBefore);
  });

  it('refuses a zkey for another circuit', async () => {
    const other0 = join(work, 'affine0.zkey');
    await createInitialZkey(affine.r1cs, affine.ptau, other0);
    const other1 = join(work, 'affine1.zkey');
    await contribute(other0, other1, 'alice', 'entropy');
    expect(await joinQueue(alice)).toBe('active');
    await expectRefused(alice, other1, await attest(other1, alice.keys), 'ZKEY_WRONG_CIRCUIT');
  });

  it('refuses the current zkey re-uploaded unchanged', async () => {
    expect(await joinQueue(alice)).toBe('active');
    await expectRefused(alice, zkey0, await attest(zkey0, alice.keys), 'ZKEY_UNCHANGED');
  });

  it('refuses a truncated file', async () => {
    const good = await contributeFresh(alice, 'alice-for-truncation.zkey');
    expect(await joinQueue(alice)).toBe('active');
    const truncated = join(work, 'truncated.zkey');
    const bytes = await readFile(good);
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectRefused(alice, truncated, '00'.repeat(64), 'INVALID_ZKEY');
  });

  it('refuses a body larger than any contribution to the current zkey could be', async () => {
    expect(await joinQueue(alice)).toBe('active');
    const padded = join(work, 'padded.zkey');
    const bytes = await readFile(zkey0);
    await writeFile(padded, Buffer.concat([bytes, Buffer.alloc(100_000)]));
    const before = await circuitState();
    const entriesBefore = (await entryTypes()).length;
    // Refused on the announced length before the body is read, and the connection closed: a client reads the 413
    // while it is still sending, so this one sends a first chunk only and then waits for the answer.
    const answer = await announceAndWait(
      `${server.url}/v1/ceremonies/rejects/circuits/mulchain/contribution`,
      { authorization: `Bearer ${token(alice)}`, 'x-ceremony-attestation': '00'.repeat(64) },
      (await readFile(padded)).length,
      bytes.subarray(0, 32 * 1024),
    );
    expect(answer.status).toBe(413);
    expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await circuitState()).toEqual(before);
    expect((await entryTypes()).length).toBe(entriesBefore);
    expect(await currentParticipant()).toBe(alice.participantId);
  });

  it('refuses a contribution whose attestation is signed by another key', async () => {
    const good = await contributeFresh(alice, 'alice-other-key.zkey');
    expect(await joinQueue(alice)).toBe('active');
    await expectRefused(alice, good, await attest(good, generateKeyPair()), 'BAD_ATTESTATION');
  });

  it('refuses a tampered zkey (streamed step check, or the job from the file), logging the reason', async () => {
    expect(await joinQueue(alice)).toBe('active');
    const tampered = join(work, 'tampered.zkey');
    await copyFile(await contributeFresh(alice, 'alice-to-tamper.zkey'), tampered);
    // Flip one byte inside the H section: the contribution record stays intact, the points no longer match.
    const info = await readZkeyInfo(tampered);
    const h = info.sections.find((s) => s.id === 9);
    if (!h) throw new Error('zkey has no H section');
    const handle = await open(tampered, 'r+');
    const at = h.offset + Math.floor(h.size / 2);
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0] = (byte[0] ?? 0) ^ 0x01;
    await handle.write(byte, 0, 1, at);
    await handle.close();
    const before = await circuitState();
    const answer = await upload(alice, tampered, await attest(tampered, alice.keys));
    // At the last byte when zkey_prev's side was ready (422), else by the verification job from the file (202).
    if (answer.status === 202) {
      const verdict = await waitForVerdict(server.url, 'rejects', answer.body.contributionId ?? '');
      expect(verdict).toMatchObject({ state: 'rejected', reason: { code: 'ZKEY_VERIFICATION_FAILED' } });
    } else {
      expect(answer.status).toBe(422);
      expect(answer.body.error?.code).toBe('ZKEY_VERIFICATION_FAILED');
    }
    expect(await circuitState()).toEqual(before);
  });

  it('accepts the honest contribution afterwards, then refuses one built on the older zkey', async () => {
    const good = await contributeFresh(alice, 'alice-honest.zkey');
    expect(await joinQueue(alice)).toBe('active');
    const accepted = await upload(alice, good, await attest(good, alice.keys));
    expect(accepted.status).toBe(202);
    const verdict = await waitForVerdict(server.url, 'rejects', accepted.body.contributionId ?? '');
    expect(verdict.state).toBe('accepted');
    expect((await circuitState()).contributionIndex).toBe(1);

    expect(await joinQueue(bob)).toBe('active');
    const forked = join(work, 'bob-on-zkey0.zkey');
    await contribute(zkey0, forked, 'bob', 'entropy');
    await expectRefused(bob, forked, await attest(forked, bob.keys), 'ZKEY_NOT_EXTENDING');
  });

  it('refuses an attestation by the right key that names anything but what is in the file', async () => {
    const state = await circuitState();
    const base = join(work, 'bob-base.zkey');
    await downloadZkey(server.url, 'rejects', 'mulchain', state.contributionIndex, base);
    const good = join(work, 'bob-misattested.zkey');
    await contribute(base, good, 'bob', 'bob entropy for the attestation lies');
    const honest = {
      ceremony: 'rejects',
      circuit: 'mulchain',
      index: state.contributionIndex + 1,
      prevZkeySha256: state.latestZkeySha256,
      zkeySha256: await sha256File(good),
      contributionHash: (await readZkeyInfo(good)).contributions.at(-1)?.contributionHash ?? '',
    };
    const signed = (fields: Parameters<typeof attestationMessage>[0]) =>
      toHex(sign(attestationMessage(fields), bob.keys.secretKey));
    const flipHex = (hex: string) => `${hex[0] === '0' ? '1' : '0'}${hex.slice(1)}`;
    const lies = [
      { ...honest, contributionHash: flipHex(honest.contributionHash) },
      { ...honest, zkeySha256: flipHex(honest.zkeySha256) },
      { ...honest, index: honest.index + 1 },
      { ...honest, statement: 'I rolled dice in a Faraday cage' },
    ];
    for (const lie of lies) {
      expect(await joinQueue(bob)).toBe('active');
      await expectRefused(bob, good, signed(lie), 'BAD_ATTESTATION');
    }
    // A statement sent with the upload must be the one signed.
    expect(await joinQueue(bob)).toBe('active');
    const statement = 'I used dice';
    await expectRefused(bob, good, signed({ ...honest, statement }), 'BAD_ATTESTATION', 422, 'I used a coin');
    // The same file with the honest attestation passes the quick checks: the lies alone were refused.
    expect(await joinQueue(bob)).toBe('active');
    const answer = await uploadZkey(
      server.url,
      token(bob),
      { ceremony: 'rejects', circuit: 'mulchain' },
      good,
      signed({ ...honest, statement }),
      statement,
    );
    expect(answer.status).toBe(202);
    const verdict = await waitForVerdict(server.url, 'rejects', answer.body.contributionId ?? '');
    expect(verdict.state).toBe('accepted');
  });

  it('the upload command refuses a zkey that does not build on the current one before joining the queue', async () => {
    const logged = (await entryTypes()).length;
    const forked = join(work, 'carol-on-zkey0.zkey');
    await contribute(zkey0, forked, 'carol', 'carol entropy for an upload that cannot extend');
    const run = runUpload({
      server: server.url,
      keyFile: carol.keyFile,
      ceremony: 'rejects',
      circuit: 'mulchain',
      zkey: forked,
      receiptDir: join(work, 'carol-receipts'),
      output: createMemoryOutput(),
      pollIntervalMs: 100,
    });
    await expect(run).rejects.toThrow(/does not build on the current zkey/);
    // No turn was taken: nothing logged (no `turn.expired`), and carol is not in line.
    expect((await entryTypes()).length).toBe(logged);
    const me = await call<{ inQueue: boolean }>(server.url, 'GET', '/v1/ceremonies/rejects/me', {
      token: token(carol),
    });
    expect(me.body.inQueue).toBe(false);
  });

  it('logs each refusal of a contribution with its own reason', async () => {
    const entries = await entryTypes();
    const reasons = entries.filter((e) => e.type === 'contribution.rejected').map((e) => e.body.reason);
    expect(reasons).toEqual([
      'ZKEY_WRONG_CIRCUIT',
      'ZKEY_UNCHANGED',
      'INVALID_ZKEY',
      'BAD_ATTESTATION',
      'ZKEY_VERIFICATION_FAILED',
      'ZKEY_NOT_EXTENDING',
      ...Array<string>(5).fill('BAD_ATTESTATION'),
    ]);
    expect(entries.filter((e) => e.type === 'contribution.accepted')).toHaveLength(2);
    // Every refused turn ended as a rejection: none of them was logged as expired.
    expect(entries.filter((e) => e.type === 'turn.expired')).toEqual([]);
    const view = await call<{ circuits: { currentParticipant: string | null }[] }>(
      server.url,
      'GET',
      '/v1/ceremonies/rejects',
    );
    expect(view.body.circuits[0]?.currentParticipant).toBeNull();
  });
});

/** PUTs with a `content-length` of `announced`, sends `first` only, and resolves with the server's answer. */
function announceAndWait(
  url: string,
  headers: Record<string, string>,
  announced: number,
  first: Uint8Array,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'PUT',
      headers: {
        ...headers,
        'content-type': 'application/octet-stream',
        'content-length': String(announced),
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.write(first);
  });
}
