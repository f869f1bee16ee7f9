// The witness's add-checkpoint rule through its real store on disk: every status of C2SP tlog-witness, the atomic
// check-and-store, the evidence of refused requests, and known-answer bytes for its cosignatures.
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyPairFromSecret } from '../../src/crypto/ed25519.js';
import { leafHash, MemoryTree } from '../../src/transcript/merkle.js';
import { encodeVerifierKey, formatCheckpoint, signNote } from '../../src/transcript/note.js';
import { encodeCosignerKey, findCosignature, parseCosignerKey } from '../../src/witness/cosigner-key.js';
import { formatAddCheckpointRequest } from '../../src/witness/request.js';
import { originHash, WitnessStore } from '../../src/witness/store.js';
import { parseTrustedLog } from '../../src/witness/trusted-logs.js';
import { Witness } from '../../src/witness/witness.js';

const LOG_NAME = 'ceremony.example';
const ORIGIN = `${LOG_NAME}/ceremonies/kat`;
const logKey = keyPairFromSecret(new Uint8Array(32).fill(7));
const otherLogKey = keyPairFromSecret(new Uint8Array(32).fill(8));
const witnessKey = keyPairFromSecret(new Uint8Array(32).fill(9));
const FIXED_TIME = 1_765_000_000;

const tree = new MemoryTree();
for (let i = 0; i < 20; i++) tree.append(leafHash(new TextEncoder().encode(`entry ${i}`)));

function signedCheckpoint(size: number, key = logKey, origin = ORIGIN, root = tree.root(size)): string {
  return signNote(formatCheckpoint({ origin, size, rootHash: root }), LOG_NAME, key);
}

function request(oldSize: number, size: number, note = signedCheckpoint(size)): string {
  const proof = oldSize === 0 ? [] : tree.consistencyProof(oldSize, size);
  return formatAddCheckpointRequest(oldSize, proof, note);
}

let dir: string;
let store: WitnessStore;
let witness: Witness;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'witness-unit-'));
  store = await WitnessStore.open(dir, { maxEvidenceBytes: 1024 * 1024 });
  witness = new Witness({
    name: 'witness.example/w1',
    signer: witnessKey,
    logs: [parseTrustedLog(encodeVerifierKey(LOG_NAME, logKey.publicKey))],
    store,
    now: () => FIXED_TIME,
  });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('cosignature bytes (known answers)', () => {
  it('a fixed witness key and timestamp give fixed cosignature bytes, verified independently by node:crypto', async () => {
    const answer = await witness.addCheckpoint(request(0, 5));
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('— witness.example/w1 ' + KAT_COSIGNATURE + '\n');
    const bytes = Buffer.from(answer.body.trim().split(' ')[2] ?? '', 'base64');
    expect(bytes.readBigUInt64BE(4)).toBe(BigInt(FIXED_TIME));
    const message = `cosignature/v1\ntime ${FIXED_TIME}\n${formatCheckpoint({ origin: ORIGIN, size: 5, rootHash: tree.root(5) })}`;
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(witnessKey.publicKey).toString('base64url') },
      format: 'jwk',
    });
    expect(nodeVerify(null, Buffer.from(message), key, bytes.subarray(12))).toBe(true);
    const keyId = createHash('sha256')
      .update(Buffer.concat([Buffer.from('witness.example/w1\n'), Buffer.from([0x04]), witnessKey.publicKey]))
      .digest()
      .subarray(0, 4);
    expect(bytes.subarray(0, 4)).toEqual(keyId);
  });

  it('the witness vkey is type 0x04 with the cosignature key ID, and parses back', () => {
    expect(witness.vkey).toBe(KAT_VKEY);
    const parsed = parseCosignerKey(witness.vkey);
    expect(parsed.name).toBe('witness.example/w1');
    expect(Buffer.from(parsed.publicKey)).toEqual(Buffer.from(witnessKey.publicKey));
    expect(() => parseCosignerKey(encodeVerifierKey('witness.example/w1', witnessKey.publicKey))).toThrow(
      /0x04/,
    );
    expect(encodeCosignerKey('witness.example/w1', witnessKey.publicKey)).toBe(KAT_VKEY);
  });
});

describe('add-checkpoint', () => {
  it('cosigns a first checkpoint from 0, then extensions with a consistency proof, and serves the latest to monitors', async () => {
    expect((await witness.addCheckpoint(request(0, 3))).status).toBe(200);
    const answer = await witness.addCheckpoint(request(3, 11));
    expect(answer.status).toBe(200);
    const key = parseCosignerKey(witness.vkey);
    const body = formatCheckpoint({ origin: ORIGIN, size: 11, rootHash: tree.root(11) });
    expect(findCosignature(body, [answer.body], key)?.timestamp).toBe(FIXED_TIME);
    const held = await witness.latestCheckpoint(originHash(ORIGIN));
    expect(held?.startsWith(body)).toBe(true);
    expect(held).toContain(answer.body);
    // The same size again with the same root is cosigned afresh.
    expect((await witness.addCheckpoint(request(11, 11))).status).toBe(200);
  });

  it('answers 409 with text/x.tlog.size and the size it holds when old is not its latest size', async () => {
    await witness.addCheckpoint(request(0, 7));
    for (const old of [0, 3, 8]) {
      const answer = await witness.addCheckpoint(request(old, 12));
      expect(answer).toEqual({ status: 409, contentType: 'text/x.tlog.size', body: '7\n' });
    }
  });

  it('404 for an unknown origin, 403 without a valid trusted signature, 400 when old > new or malformed', async () => {
    const stranger = signedCheckpoint(4, logKey, 'elsewhere.example/log');
    expect((await witness.addCheckpoint(request(0, 4, stranger))).status).toBe(404);
    // A sibling origin that merely starts with the key's name is not under it.
    expect(
      (await witness.addCheckpoint(request(0, 4, signedCheckpoint(4, logKey, `${LOG_NAME}x/c`)))).status,
    ).toBe(404);
    expect((await witness.addCheckpoint(request(0, 4, signedCheckpoint(4, otherLogKey)))).status).toBe(403);
    const forged = signedCheckpoint(4).replace(
      / (.)(\S+)\n$/,
      (_m, c: string, rest: string) => ` ${c === 'A' ? 'B' : 'A'}${rest}\n`,
    );
    expect((await witness.addCheckpoint(request(0, 4, forged))).status).toBe(403);
    // Old larger than the checkpoint: 400 (the body carries a valid signature: proof is not needed for this check).
    expect((await witness.addCheckpoint(formatAddCheckpointRequest(9, [], signedCheckpoint(4)))).status).toBe(
      400,
    );
    expect((await witness.addCheckpoint('old 01\n\n' + signedCheckpoint(4))).status).toBe(400);
    expect((await witness.addCheckpoint(`old 0\n${'AAAA\n'.repeat(2)}\n${signedCheckpoint(4)}`)).status).toBe(
      400,
    );
    const tooLong = formatAddCheckpointRequest(
      0,
      Array.from({ length: 64 }, () => new Uint8Array(32)),
      signedCheckpoint(4),
    );
    expect((await witness.addCheckpoint(tooLong)).status).toBe(400);
    // Nothing was stored by any of them.
    expect(await store.held(ORIGIN)).toMatchObject({ size: 0 });
  });

  it('422 when the proof does not verify, for a non-empty proof from 0, a bad empty root, and a split view at one size', async () => {
    await witness.addCheckpoint(request(0, 6));
    const badProof = tree.consistencyProof(6, 10).map((h, i) => (i === 0 ? new Uint8Array(32) : h));
    expect(
      (await witness.addCheckpoint(formatAddCheckpointRequest(6, badProof, signedCheckpoint(10)))).status,
    ).toBe(422);
    const rewritten = signedCheckpoint(6, logKey, ORIGIN, new Uint8Array(32).fill(1));
    expect((await witness.addCheckpoint(formatAddCheckpointRequest(6, [], rewritten))).status).toBe(422);
    const other = await mkdtemp(join(tmpdir(), 'witness-unit-'));
    const fresh = await WitnessStore.open(other, { maxEvidenceBytes: 1024 });
    const w2 = new Witness({
      name: 'w2',
      signer: witnessKey,
      logs: [parseTrustedLog(encodeVerifierKey(LOG_NAME, logKey.publicKey))],
      store: fresh,
    });
    expect(
      (await w2.addCheckpoint(formatAddCheckpointRequest(0, [tree.root(1)], signedCheckpoint(3)))).status,
    ).toBe(422);
    const emptyWithRoot = signedCheckpoint(0, logKey, ORIGIN, new Uint8Array(32).fill(2));
    expect((await w2.addCheckpoint(formatAddCheckpointRequest(0, [], emptyWithRoot))).status).toBe(422);
    await fresh.close();
    await rm(other, { recursive: true, force: true });
    expect(await store.held(ORIGIN)).toMatchObject({ size: 6 });
  });

  it('keeps evidence of refused requests that a trusted log signed, and none of unsigned ones', async () => {
    await witness.addCheckpoint(request(0, 6));
    const rewritten = signedCheckpoint(6, logKey, ORIGIN, new Uint8Array(32).fill(1));
    await witness.addCheckpoint(formatAddCheckpointRequest(6, [], rewritten));
    await witness.addCheckpoint(request(0, 4, signedCheckpoint(4, otherLogKey)));
    const lines = (await witness.evidence())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: number; request: string });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.status).toBe(422);
    expect(lines[0]?.request).toContain(rewritten);
  });

  it('checks the old size and stores the new checkpoint as one step: of two racing requests from 0, one is cosigned', async () => {
    const answers = await Promise.all([
      witness.addCheckpoint(request(0, 5)),
      witness.addCheckpoint(request(0, 15)),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const winner = answers[0]?.status === 200 ? 5 : 15;
    expect(await store.held(ORIGIN)).toMatchObject({ size: winner });
  });

  it('a second witness process cannot open the same data dir', async () => {
    await expect(WitnessStore.open(dir, { maxEvidenceBytes: 1 })).rejects.toThrow(/in use by process/);
  });

  it('--log ORIGIN=VKEY trusts the key for that origin only', async () => {
    const exact = parseTrustedLog(`${ORIGIN}=${encodeVerifierKey(LOG_NAME, logKey.publicKey)}`);
    expect(exact).toMatchObject({ origin: ORIGIN, exact: true });
    const other = await mkdtemp(join(tmpdir(), 'witness-unit-'));
    const s = await WitnessStore.open(other, { maxEvidenceBytes: 1024 });
    const w = new Witness({ name: 'w3', signer: witnessKey, logs: [exact], store: s });
    expect((await w.addCheckpoint(request(0, 2))).status).toBe(200);
    expect((await w.addCheckpoint(request(0, 2, signedCheckpoint(2, logKey, `${ORIGIN}-2`)))).status).toBe(
      404,
    );
    await s.close();
    await rm(other, { recursive: true, force: true });
  });
});

const KAT_COSIGNATURE =
  'JLXZ/gAAAABpM8NAOwMFDIeBLEBShgJNar3+bCUD1ISmoiwisURmiYP0K7wVawehsstzjTVGYTvmp6P1Oje0xisKcX6BDhUZf8DTDw==';
const KAT_VKEY = 'witness.example/w1+24b5d9fe+BP0XJDhaoMdbZPt4zWAvodmR/ev3axPFjtcC6sg16fYY';
