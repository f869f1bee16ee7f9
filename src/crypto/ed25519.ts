// Ed25519 keys, signatures and key files: the only place the coordinator touches Ed25519 directly.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { CeremonyError } from '../errors.js';
import type { Signer } from '../keys/signer.js';
import { fromHex, isHex, toHex } from './hex.js';

/** A key held in memory (a key file's, the browser's): a Signer that also carries its secret. */
export interface KeyPair extends Signer {
  /** 32-byte secret seed. Never logged. */
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateKeyPair(): KeyPair {
  return keyPairFromSecret(new Uint8Array(randomBytes(32)));
}

export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32)
    throw new TypeError(`keyPairFromSecret: expected 32-byte seed, got ${secretKey?.length}`);
  return {
    secretKey,
    publicKey: ed25519.getPublicKey(secretKey),
    sign: (message) => sign(message, secretKey),
  };
}

/**
 * Parses a public key given as lowercase hex and refuses keys no honest party would hold:
 * malformed encodings, the all-zero string and small-order points (which verify forged signatures).
 */
export function parsePublicKey(hex: unknown): Uint8Array {
  if (!isHex(hex, 32))
    throw new CeremonyError('INVALID_PUBLIC_KEY', 'public key must be 64 lowercase hex characters');
  const bytes = fromHex(hex, 32);
  if (bytes.every((b) => b === 0)) throw new CeremonyError('WEAK_PUBLIC_KEY', 'public key is all zeros');
  let point: ReturnType<typeof ed25519.Point.fromBytes>;
  try {
    point = ed25519.Point.fromBytes(bytes);
  } catch {
    throw new CeremonyError('INVALID_PUBLIC_KEY', 'public key is not a valid Ed25519 point');
  }
  if (point.isSmallOrder()) throw new CeremonyError('WEAK_PUBLIC_KEY', 'public key is a small-order point');
  if (!point.isTorsionFree())
    throw new CeremonyError('WEAK_PUBLIC_KEY', 'public key has a torsion component');
  return bytes;
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/** Strict RFC 8032 verification (no ZIP-215 leniency); false on any malformed input. */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Verifies a hex signature; false when it is not 64 bytes of lowercase hex. */
export function verifyHexSignature(
  signatureHex: unknown,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (!isHex(signatureHex, 64)) return false;
  return verifySignature(fromHex(signatureHex, 64), message, publicKey);
}

interface KeyFileJson {
  type: 'ed25519';
  publicKey: string;
  secretKey: string;
}

/** The key file's text (`ceremony keygen`'s format); the web page offers the same bytes for download. */
export function encodeKeyFile(keys: KeyPair): string {
  const body: KeyFileJson = {
    type: 'ed25519',
    publicKey: toHex(keys.publicKey),
    secretKey: toHex(keys.secretKey),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Parses a key file's text; `source` names it in errors (a path, or the file a browser user picked). */
export function parseKeyFile(text: string, source: string): KeyPair {
  let parsed: Partial<KeyFileJson>;
  try {
    parsed = JSON.parse(text) as Partial<KeyFileJson>;
  } catch (err) {
    throw new Error(`cannot read key file ${source}: ${(err as Error).message}`);
  }
  if (parsed?.type !== 'ed25519' || !isHex(parsed.secretKey, 32)) {
    throw new Error(`key file ${source} is not an ed25519 key file written by 'ceremony keygen'`);
  }
  const keys = keyPairFromSecret(fromHex(parsed.secretKey, 32));
  if (parsed.publicKey !== undefined && parsed.publicKey !== toHex(keys.publicKey)) {
    throw new Error(`key file ${source}: public key does not match the secret key`);
  }
  return keys;
}

/** Writes a key file readable by its owner only (mode 0600); refuses to overwrite an existing file. */
export async function writeKeyFile(path: string, keys: KeyPair): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, encodeKeyFile(keys), { mode: 0o600, flag: 'wx' });
}

export async function readKeyFile(path: string): Promise<KeyPair> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read key file ${path}: ${(err as Error).message}`);
  }
  return parseKeyFile(text, path);
}
