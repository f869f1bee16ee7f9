// A `log.key-rotated` entry (docs/PROTOCOL.md sections 4 and 7): the log names the key that signs its checkpoints
// from then on. Shared by the coordinator that writes it and the auditor that reads it.

import { verifyHexSignature } from '../crypto/ed25519.js';
import { fromHex, isHex, toHex } from '../crypto/hex.js';
import type { Signer } from '../keys/signer.js';
import { parseVerifierKey } from './note.js';

export const ROTATION_HEADER = 'ceremony-log-key-rotation/v1\n';

/** Where in which log the rotation stands, and the two keys: what each of its signatures covers. */
export interface RotationStatement {
  /** The checkpoint origin of the log: `<origin>/ceremonies/<id>`. */
  logOrigin: string;
  /** The rotation entry's own seq and prev, so a signature cannot be replayed at another place or log. */
  seq: number;
  prev: string;
  oldLogKey: string;
  newLogKey: string;
}

/** The body of a `log.key-rotated` entry. */
export interface RotationBody {
  oldLogKey: string;
  newLogKey: string;
  /** The coordinator who ordered the rotation: the ceremony's owner or a co-coordinator (hex public key). */
  coordinator: string;
  /** Null when the old key is lost: the rotation then rests on the new key and the coordinator. */
  oldKeySignature: string | null;
  newKeySignature: string;
  coordinatorSignature: string;
}

/** The bytes each signature of a rotation covers. */
export function rotationMessage(statement: RotationStatement): Uint8Array {
  const { logOrigin, seq, prev, oldLogKey, newLogKey } = statement;
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError('rotationMessage: seq must be >= 1');
  if (!isHex(prev, 32)) throw new TypeError('rotationMessage: prev must be 64 lowercase hex characters');
  for (const line of [logOrigin, oldLogKey, newLogKey])
    if (line === '' || line.includes('\n')) throw new TypeError('rotationMessage: empty or multi-line field');
  return new TextEncoder().encode(
    `${ROTATION_HEADER}${logOrigin}\n${seq}\n${prev}\n${oldLogKey}\n${newLogKey}\n`,
  );
}

/** Signs a rotation: by the old key when it is still held, always by the new key and the coordinator. */
export function signRotation(
  statement: RotationStatement,
  keys: { oldKey: Signer | undefined; newKey: Signer; coordinator: Signer },
): RotationBody {
  const message = rotationMessage(statement);
  const signWith = (signer: Signer) => toHex(signer.sign(message));
  return {
    oldLogKey: statement.oldLogKey,
    newLogKey: statement.newLogKey,
    coordinator: toHex(keys.coordinator.publicKey),
    oldKeySignature: keys.oldKey === undefined ? null : signWith(keys.oldKey),
    newKeySignature: signWith(keys.newKey),
    coordinatorSignature: signWith(keys.coordinator),
  };
}

/** Which signatures of a rotation fail, by name ('old log key', 'new log key', 'coordinator'); empty when all hold. */
export function failingRotationSignatures(statement: RotationStatement, body: RotationBody): string[] {
  const message = rotationMessage(statement);
  const failing: string[] = [];
  const holds = (signature: string, publicKey: Uint8Array) =>
    verifyHexSignature(signature, message, publicKey);
  if (
    body.oldKeySignature !== null &&
    !holds(body.oldKeySignature, parseVerifierKey(body.oldLogKey).publicKey)
  )
    failing.push('old log key');
  if (!holds(body.newKeySignature, parseVerifierKey(body.newLogKey).publicKey)) failing.push('new log key');
  if (!isHex(body.coordinator, 32) || !holds(body.coordinatorSignature, fromHex(body.coordinator, 32)))
    failing.push('coordinator');
  return failing;
}
