// Which key must sign each checkpoint of a log: the one the auditor trusts until the first `log.key-rotated`
// entry, then the key each rotation announces (docs/PROTOCOL.md section 7), and the `log.key-rotations` check.
import { toHex } from '../crypto/hex.js';
import { failingRotationSignatures } from '../transcript/log-key-rotation.js';
import { parseVerifierKey } from '../transcript/note.js';
import type { KeyRotationFact } from './facts.js';
import type { Ledger } from './ledger.js';
import { fail, pass, summarizeProblems, type Verdict } from './types.js';

export interface LogKeys {
  /** The verifier key that must sign the checkpoint of `size`; undefined when none is known. */
  keyFor(size: number): string | undefined;
  /** The key in force now: the last one announced, else the trusted one. */
  current: string | undefined;
  /** Why the published or pinned key cannot be used, when it cannot. */
  problem: string | undefined;
}

/** "name+keyid", how details name a key. */
export function keyLabel(verifierKey: string): string {
  try {
    const key = parseVerifierKey(verifierKey);
    return `${key.name}+${toHex(key.keyId)}`;
  } catch {
    return verifierKey.slice(0, 80);
  }
}

/** The rotation in force for a checkpoint of `size`: the last one whose entry that checkpoint covers. */
export function rotationFor(
  rotations: readonly KeyRotationFact[],
  size: number,
): KeyRotationFact | undefined {
  let found: KeyRotationFact | undefined;
  for (const r of rotations) if (r.seq < size) found = r;
  return found;
}

/**
 * The keys of a log. `published` is what the source serves (log-key.pub, GET /v1/log-key): the key in force now.
 * `pinned` is a key the auditor got out of band: any key the log ever used, the rotations leading on from it.
 */
export function scheduleLogKeys(
  ledger: Ledger,
  keys: { published: string | undefined; pinned: string | undefined; readProblem: string | undefined },
): LogKeys {
  const published = keys.published?.trim();
  const pinned = keys.pinned?.trim();
  const rotations = ledger.facts.keyRotations;
  const last = rotations.at(-1);
  if (last === undefined) {
    let problem: string | undefined;
    if (pinned !== undefined && published !== undefined && published !== pinned)
      problem = `the published log key ${published} is not the pinned key ${pinned}`;
    else if (keys.readProblem !== undefined)
      problem =
        pinned !== undefined ? keys.readProblem : `the log key could not be read: ${keys.readProblem}`;
    const key = pinned ?? published;
    return { keyFor: () => key, current: key, problem };
  }
  const first = rotations[0]!.oldLogKey;
  const announced = [first, ...rotations.map((r) => r.newLogKey)];
  let problem: string | undefined;
  if (pinned !== undefined && !announced.includes(pinned))
    problem = `the pinned key ${pinned} is none of the keys this log used (${announced.map(keyLabel).join(', ')})`;
  else if (published !== undefined && published !== last.newLogKey)
    problem = `the published log key ${keyLabel(published)} is not the key the log last announced (entry ${last.seq}: ${keyLabel(last.newLogKey)})`;
  else if (keys.readProblem !== undefined)
    problem = pinned !== undefined ? keys.readProblem : `the log key could not be read: ${keys.readProblem}`;
  return {
    keyFor: (size) => rotationFor(rotations, size)?.newLogKey ?? first,
    current: last.newLogKey,
    problem,
  };
}

/** Problems of one rotation: its keys, its place in the chain of keys, who ordered it, and its signatures. */
function rotationProblems(ledger: Ledger, rotation: KeyRotationFact, before: string | undefined): string[] {
  const at = `entry ${rotation.seq}`;
  const oldKey = parseVerifierKey(rotation.oldLogKey);
  const newKey = parseVerifierKey(rotation.newLogKey);
  const problems: string[] = [];
  if (before !== undefined && before !== rotation.oldLogKey)
    problems.push(
      `${at} retires ${keyLabel(rotation.oldLogKey)}, but the key in force was ${keyLabel(before)}`,
    );
  if (newKey.name !== oldKey.name)
    problems.push(`${at}: the new key is named '${newKey.name}', the log's key '${oldKey.name}'`);
  if (rotation.newLogKey === rotation.oldLogKey) problems.push(`${at} announces the key already in force`);
  const inRole = (c: { seq: number; removedSeq?: number }) =>
    c.seq < rotation.seq && (c.removedSeq === undefined || c.removedSeq > rotation.seq);
  if (!ledger.facts.coordinators.some((c) => inRole(c) && c.publicKey === rotation.coordinator))
    problems.push(
      `${at}: ${rotation.coordinator.slice(0, 16)}… is neither the ceremony's owner nor a co-coordinator`,
    );
  const failing = failingRotationSignatures(
    {
      logOrigin: `${oldKey.name}/ceremonies/${ledger.ceremonyId}`,
      seq: rotation.seq,
      prev: rotation.prev,
      oldLogKey: rotation.oldLogKey,
      newLogKey: rotation.newLogKey,
    },
    rotation,
  );
  if (failing.length > 0) problems.push(`${at}: the ${failing.join(', ')} signature does not verify`);
  return problems;
}

/** `log.key-rotations`: every rotation entry is well-formed, continues the chain of keys and is signed. */
export function checkKeyRotations(ledger: Ledger): Verdict {
  const malformed = ledger.facts.malformed.filter((m) => m.type === 'log.key-rotated');
  if (malformed.length > 0)
    return fail(
      `malformed log.key-rotated entries: ${malformed.map((m) => `${m.seq}: ${m.problem}`).join('; ')}`,
    );
  const rotations = ledger.facts.keyRotations;
  if (rotations.length === 0)
    return pass('the log announces no key rotation: one key signs every checkpoint');
  const problems: string[] = [];
  const lines: string[] = [];
  let before: string | undefined;
  for (const rotation of rotations) {
    problems.push(...rotationProblems(ledger, rotation, before));
    before = rotation.newLogKey;
    const by =
      rotation.oldKeySignature === null
        ? 'the old key did not sign (declared lost): signed by the new key and'
        : 'signed by the old key, the new key and';
    lines.push(
      `entry ${rotation.seq} at ${rotation.time}: ${keyLabel(rotation.oldLogKey)} → ${keyLabel(rotation.newLogKey)}, ${by} coordinator ${rotation.coordinator.slice(0, 16)}…`,
    );
  }
  if (problems.length > 0) return fail(summarizeProblems(problems));
  return pass(`${rotations.length} log key rotation(s): ${lines.join('; ')}`);
}
