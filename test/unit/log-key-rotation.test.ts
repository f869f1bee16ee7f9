// The auditor across a log key rotation (`auditLog`, shared by `ceremony verify` and the web page), on synthetic
// logs: real canonical entries, real Ed25519 checkpoint and rotation signatures, an in-memory source.
import { describe, expect, it } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import type { JsonValue } from '../../src/transcript/canonical-json.js';
import { type EntryType, encodeEntry, formatEntryTime, GENESIS_PREV } from '../../src/transcript/entry.js';
import { type RotationBody, signRotation } from '../../src/transcript/log-key-rotation.js';
import { MemoryTree } from '../../src/transcript/merkle.js';
import { encodeVerifierKey, formatCheckpoint, signNote } from '../../src/transcript/note.js';
import { auditLog } from '../../src/verify/log-audit.js';
import type { LogSource } from '../../src/verify/sources.js';
import type { CheckName, Verdict } from '../../src/verify/types.js';

const CEREMONY = 'rotated';
const NAME = 'test.ceremony.local';
const ORIGIN = `${NAME}/ceremonies/${CEREMONY}`;
const vkey = (keys: KeyPair) => encodeVerifierKey(NAME, keys.publicKey);

interface Built {
  lines: string[];
  /** checkpoints[size] */
  checkpoints: Map<number, string>;
  tree: MemoryTree;
}

interface LogPlan {
  oldKey: KeyPair;
  newKey: KeyPair;
  coordinator: KeyPair;
  /** Entries before the rotation (ceremony.created first), and after it. */
  before?: number;
  after?: number;
  /** Signs the rotation; changes what it returns to tamper. */
  rotate?: (sign: () => RotationBody) => RotationBody;
  /** The key that signs the checkpoint of `size` (default: old up to the rotation, new from it on). */
  signerOf?: (size: number, rotationSeq: number) => KeyPair;
}

/** A log: `before` ordinary entries, the rotation, `after` more; every size signed. */
function buildLog(plan: LogPlan): Built {
  const before = plan.before ?? 3;
  const after = plan.after ?? 2;
  const rotationSeq = before;
  const lines: string[] = [];
  const leaves: Uint8Array[] = [];
  let prev = GENESIS_PREV;
  const add = (type: EntryType, body: { [key: string]: JsonValue }) => {
    const seq = lines.length;
    const encoded = encodeEntry({
      v: 1,
      ceremony: CEREMONY,
      seq,
      type,
      time: formatEntryTime(new Date(Date.UTC(2026, 0, 1, 0, 0, seq))),
      prev,
      body,
    });
    lines.push(encoded.line);
    leaves.push(encoded.leafHash);
    prev = toHex(encoded.leafHash);
  };
  add('ceremony.created', {
    title: 'rotated',
    timeoutSeconds: 600,
    coordinator: toHex(plan.coordinator.publicKey),
    registration: 'allowlist',
    startsAt: null,
    endsAt: null,
  });
  for (let i = 1; i < before; i++) add('ceremony.opened', {});
  const sign = () =>
    signRotation(
      {
        logOrigin: ORIGIN,
        seq: rotationSeq,
        prev,
        oldLogKey: vkey(plan.oldKey),
        newLogKey: vkey(plan.newKey),
      },
      { oldKey: plan.oldKey, newKey: plan.newKey, coordinator: plan.coordinator },
    );
  add('log.key-rotated', { ...(plan.rotate ? plan.rotate(sign) : sign()) });
  for (let i = 0; i < after; i++) add('ceremony.closed', {});
  const tree = new MemoryTree(leaves);
  const signerOf = plan.signerOf ?? ((size: number, r: number) => (size > r ? plan.newKey : plan.oldKey));
  const checkpoints = new Map<number, string>();
  for (let size = 1; size <= lines.length; size++) {
    const body = formatCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size) });
    checkpoints.set(size, signNote(body, NAME, signerOf(size, rotationSeq)));
  }
  return { lines, checkpoints, tree };
}

function sourceOf(log: Built, publishedKey: string): LogSource {
  return {
    label: 'synthetic',
    ceremonyId: CEREMONY,
    readHead: async () => ({
      transcript: log.lines.map((l) => `${l}\n`).join(''),
      checkpoint: log.checkpoints.get(log.lines.length),
    }),
    readCheckpoints: async () => log.checkpoints,
    readLogKey: async () => publishedKey,
    readConsistencyProof: async () => undefined,
  };
}

const keysOf = () => ({
  oldKey: generateKeyPair(),
  newKey: generateKeyPair(),
  coordinator: generateKeyPair(),
});

async function auditOf(
  log: Built,
  publishedKey: string,
  options: { logKey?: string; checkpoint?: string[] } = {},
): Promise<Record<CheckName, Verdict>> {
  const { results } = await auditLog(sourceOf(log, publishedKey), options);
  return Object.fromEntries(results) as Record<CheckName, Verdict>;
}

const LOG_CHECKS: CheckName[] = [
  'entries.canonical',
  'entries.sequence',
  'checkpoint.root',
  'checkpoint.signature',
  'checkpoints.history',
  'log.key-rotations',
];

function statuses(results: Record<CheckName, Verdict>, names = LOG_CHECKS) {
  return Object.fromEntries(names.map((n) => [n, results[n]?.status]));
}

const allPass = Object.fromEntries(LOG_CHECKS.map((n) => [n, 'pass']));

describe('a log key rotation, as the auditor sees it', () => {
  it('verifies checkpoints before the rotation under the old key and after it under the new one', async () => {
    const keys = keysOf();
    const log = buildLog(keys);
    const results = await auditOf(log, vkey(keys.newKey));
    expect(statuses(results)).toEqual(allPass);
    expect(results['log.key-rotations'].detail).toContain(
      'signed by the old key, the new key and coordinator',
    );
    expect(results['checkpoints.history'].detail).toContain('every size 1–6');
    // An auditor who pinned the old key before the rotation, or the new one after it, gets the same answer.
    expect(statuses(await auditOf(log, vkey(keys.newKey), { logKey: vkey(keys.oldKey) }))).toEqual(allPass);
    expect(statuses(await auditOf(log, vkey(keys.newKey), { logKey: vkey(keys.newKey) }))).toEqual(allPass);
    // A checkpoint kept from before the rotation is still consistent, under the key of its time.
    const kept = log.checkpoints.get(2)!;
    expect((await auditOf(log, vkey(keys.newKey), { checkpoint: [kept] }))['checkpoint.older'].status).toBe(
      'pass',
    );
  });

  it('passes a rotation whose old key was lost, and says so', async () => {
    const keys = keysOf();
    const log = buildLog({ ...keys, rotate: (sign) => ({ ...sign(), oldKeySignature: null }) });
    const results = await auditOf(log, vkey(keys.newKey));
    expect(statuses(results)).toEqual(allPass);
    expect(results['log.key-rotations'].detail).toContain(
      'the old key did not sign (declared lost): signed by the new key and coordinator',
    );
  });

  it('fails log.key-rotations, by name, when a signature of the rotation does not verify', async () => {
    const keys = keysOf();
    const stranger = generateKeyPair();
    for (const [which, tamper] of [
      ['old log key', (b: RotationBody) => ({ ...b, oldKeySignature: b.newKeySignature })],
      ['new log key', (b: RotationBody) => ({ ...b, newKeySignature: b.coordinatorSignature })],
      ['coordinator', (b: RotationBody) => ({ ...b, coordinatorSignature: b.newKeySignature })],
    ] as const) {
      const log = buildLog({ ...keys, rotate: (sign) => tamper(sign()) });
      const results = await auditOf(log, vkey(keys.newKey));
      expect(statuses(results)).toEqual({ ...allPass, 'log.key-rotations': 'fail' });
      expect(results['log.key-rotations'].detail).toContain(
        `entry 3: the ${which} signature does not verify`,
      );
    }
    // Signed by a key that is no coordinator of this ceremony.
    const log = buildLog({ ...keys, rotate: () => signRotationBy(stranger, keys, log0Prev(keys)) });
    const results = await auditOf(log, vkey(keys.newKey));
    expect(results['log.key-rotations'].status).toBe('fail');
    expect(results['log.key-rotations'].detail).toContain('neither the ceremony');
  });

  it('fails a checkpoint signed by a key the log never announced', async () => {
    const keys = keysOf();
    const intruder = generateKeyPair();
    // The newest checkpoint signed by a third key, the published key being that key too.
    const forged = buildLog({
      ...keys,
      signerOf: (size, r) => (size === 6 ? intruder : size > r ? keys.newKey : keys.oldKey),
    });
    const results = await auditOf(forged, vkey(intruder));
    expect(results['checkpoint.signature'].status).toBe('fail');
    expect(results['checkpoint.signature'].detail).toContain('is not the key the log last announced');
    const published = await auditOf(forged, vkey(keys.newKey));
    expect(published['checkpoint.signature'].status).toBe('fail');
    expect(published['checkpoints.history'].detail).toContain('checkpoints/6');
    // The old key signing after the rotation is no better: the log retired it.
    const stale = buildLog({ ...keys, signerOf: () => keys.oldKey });
    const staleResults = await auditOf(stale, vkey(keys.oldKey));
    expect(statuses(staleResults)).toMatchObject({
      'checkpoint.signature': 'fail',
      'checkpoints.history': 'fail',
    });
    // And a pinned key the log never used fails however the log is signed.
    const pinned = await auditOf(buildLog(keys), vkey(keys.newKey), { logKey: vkey(intruder) });
    expect(pinned['checkpoint.signature'].status).toBe('fail');
    expect(pinned['checkpoint.signature'].detail).toContain('none of the keys this log used');
  });
});

/** The prev of the rotation entry in a default log built with `keys` (entries before it do not depend on keys' use). */
function log0Prev(keys: ReturnType<typeof keysOf>): string {
  const log = buildLog(keys);
  return JSON.parse(log.lines[3]!).prev as string;
}

/** A rotation signed as required, but by `coordinator`, who is not the one the log names. */
function signRotationBy(coordinator: KeyPair, keys: ReturnType<typeof keysOf>, prev: string): RotationBody {
  return signRotation(
    { logOrigin: ORIGIN, seq: 3, prev, oldLogKey: vkey(keys.oldKey), newLogKey: vkey(keys.newKey) },
    { oldKey: keys.oldKey, newKey: keys.newKey, coordinator },
  );
}
