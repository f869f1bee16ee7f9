// A witness's public key as C2SP tlog-cosignature writes it: a vkey with signature type 0x04 (Ed25519 cosignature/v1),
// `name+hex(keyID)+base64(0x04 || public key)`, the key ID being SHA-256(name || "\n" || 0x04 || key)[:4].
import { parsePublicKey } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hex.js';
import {
  decodeBase64,
  encodeBase64,
  noteKeyId,
  SIG_TYPE_COSIGNATURE_V1,
  verifyCosignature,
} from '../transcript/note.js';

/** A witness as its verifiers know it: the name its cosignature lines carry and its Ed25519 public key. */
export interface CosignerKey {
  name: string;
  publicKey: Uint8Array;
  /** The vkey text, as printed by `ceremony witness vkey`. */
  vkey: string;
}

export function encodeCosignerKey(name: string, publicKey: Uint8Array): string {
  const keyId = noteKeyId(name, SIG_TYPE_COSIGNATURE_V1, publicKey);
  return `${name}+${toHex(keyId)}+${encodeBase64(Uint8Array.of(SIG_TYPE_COSIGNATURE_V1, ...publicKey))}`;
}

/** Parses a cosigner vkey; throws naming what is wrong (shape, key type, weak key, key ID). */
export function parseCosignerKey(vkey: string): CosignerKey {
  if (typeof vkey !== 'string') throw new TypeError('parseCosignerKey: expected a string');
  const text = vkey.trim();
  // The base64 key may itself hold '+': only the first two separate the fields.
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  const name = text.slice(0, first);
  const idHex = text.slice(first + 1, second);
  const keyText = text.slice(second + 1);
  if (first <= 0 || second < 0)
    throw new Error(
      `parseCosignerKey: expected <name>+<8 hex digits>+<base64 key>, got "${text.slice(0, 80)}"`,
    );
  if (!/^[0-9a-f]{8}$/.test(idHex))
    throw new Error('parseCosignerKey: key ID must be 8 lowercase hex digits');
  const keyData = decodeBase64(keyText);
  if (keyData?.length !== 33 || keyData[0] !== SIG_TYPE_COSIGNATURE_V1)
    throw new Error('parseCosignerKey: key must be base64 of 0x04 followed by a 32-byte Ed25519 public key');
  const publicKey = keyData.slice(1);
  try {
    parsePublicKey(toHex(publicKey));
  } catch (err) {
    throw new Error(`parseCosignerKey: ${(err as Error).message}`);
  }
  if (toHex(noteKeyId(name, SIG_TYPE_COSIGNATURE_V1, publicKey)) !== idHex)
    throw new Error('parseCosignerKey: key ID does not match the name and key');
  return { name, publicKey, vkey: text };
}

/** The timestamp of the first of `lines` that is a valid cosignature by `key` on `checkpointBody`, or null. */
export function findCosignature(
  checkpointBody: string,
  lines: readonly string[],
  key: CosignerKey,
): { line: string; timestamp: number } | null {
  for (const line of lines) {
    const verdict = verifyCosignature(checkpointBody, line, key.name, key.publicKey);
    if (verdict !== null)
      return { line: line.endsWith('\n') ? line : `${line}\n`, timestamp: verdict.timestamp };
  }
  return null;
}
