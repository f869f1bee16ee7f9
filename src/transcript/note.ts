// C2SP signed-note, tlog-checkpoint and tlog-cosignature/v1 (Ed25519): the text formats a log and its
// witnesses exchange. Parsers are strict so that two readers can never disagree on what a note says.
import { concatBytes, equalBytes } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { parsePublicKey, verifySignature } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hex.js';
import { makeSignatureVerifier } from '../crypto/signature-verifier.js';
import { assertSigner, type Signer } from '../keys/signer.js';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions?: string[];
}

export interface NoteSignature {
  name: string;
  keyId: Uint8Array;
  signature: Uint8Array;
  /** The whole signature line, ending with a newline. */
  line: string;
}

export const SIG_TYPE_ED25519 = 0x01;
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;
/** C2SP asks verifiers to accept at least 16 signatures; more than this is refused as abuse. */
export const MAX_NOTE_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 ';
const COSIGNATURE_HEADER = 'cosignature/v1\n';
const utf8 = new TextEncoder();
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Go's unicode.IsSpace, which C2SP key names exclude: JavaScript's \s plus NEL (U+0085).
const spaceOrPlus = /[\s\u0085+]/u;

// btoa/atob rather than Buffer: the web page's audit runs this module in the browser.
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Strict RFC 4648 base64: padded, and the only encoding that re-encodes to the same text. */
export function decodeBase64(text: string): Uint8Array | null {
  if (!base64Pattern.test(text)) return null;
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return encodeBase64(bytes) === text ? bytes : null;
}

/** Why `text` cannot appear in a note (not UTF-8, or an ASCII control character other than newline), or null. */
function textProblem(text: string): string | null {
  if (loneSurrogate.test(text)) return 'text is not valid UTF-8 (lone surrogate)';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return `control character U+${code.toString(16).padStart(4, '0')}`;
  }
  return null;
}

function isKeyName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && !spaceOrPlus.test(name) && textProblem(name) === null;
}

function assertKeyName(fn: string, name: unknown): asserts name is string {
  if (!isKeyName(name)) throw new TypeError(`${fn}: key name must be non-empty, without spaces or '+'`);
}

function assertNoteBody(fn: string, body: unknown): asserts body is string {
  if (typeof body !== 'string' || body === '' || !body.endsWith('\n')) {
    throw new TypeError(`${fn}: note text must be a non-empty string ending with a newline`);
  }
  const problem = textProblem(body);
  if (problem) throw new TypeError(`${fn}: note text: ${problem}`);
}

/** Refuses malformed and weak Ed25519 keys (small-order keys would accept forged signatures). */
function assertEd25519Key(fn: string, publicKey: unknown): asserts publicKey is Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new TypeError(`${fn}: public key must be 32 bytes`);
  }
  try {
    parsePublicKey(toHex(publicKey));
  } catch (err) {
    throw new TypeError(`${fn}: ${(err as Error).message}`);
  }
}

function assertCheckpointBody(fn: string, body: unknown): void {
  try {
    parseCheckpoint(body as string);
  } catch (err) {
    throw new TypeError(`${fn}: ${(err as Error).message}`);
  }
}

export function formatCheckpoint(cp: Checkpoint): string {
  const { origin, size, rootHash, extensions = [] } = cp;
  const lines = [origin, ...extensions];
  if (
    lines.some((line) => typeof line !== 'string' || line === '' || line.includes('\n') || textProblem(line))
  ) {
    throw new TypeError(
      'formatCheckpoint: origin and extension lines must be non-empty single lines of text',
    );
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`formatCheckpoint: bad tree size ${size}`);
  }
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== 32) {
    throw new TypeError('formatCheckpoint: root hash must be 32 bytes');
  }
  return [origin, String(size), encodeBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
}

export function parseCheckpoint(body: string): Checkpoint {
  assertNoteBody('parseCheckpoint', body);
  const [origin, sizeText, rootText, ...extensions] = body.slice(0, -1).split('\n');
  if (!origin || sizeText === undefined || rootText === undefined) {
    throw new Error('parseCheckpoint: a checkpoint has an origin, a size and a root hash line');
  }
  if (!/^(?:0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new Error(`parseCheckpoint: tree size must be a decimal without leading zeros, got "${sizeText}"`);
  }
  const rootHash = decodeBase64(rootText);
  if (rootHash?.length !== 32) throw new Error('parseCheckpoint: root hash must be base64 of 32 bytes');
  if (extensions.some((line) => line === '')) {
    throw new Error('parseCheckpoint: extension lines must be non-empty');
  }
  const checkpoint: Checkpoint = { origin, size: Number(sizeText), rootHash };
  return extensions.length > 0 ? { ...checkpoint, extensions } : checkpoint;
}

/** First 4 bytes of SHA-256(name || 0x0A || sigType || publicKey): how a signature line names its key. */
export function noteKeyId(name: string, sigType: number, publicKey: Uint8Array): Uint8Array {
  assertKeyName('noteKeyId', name);
  if (!Number.isInteger(sigType) || sigType < 0 || sigType > 255) {
    throw new RangeError('noteKeyId: bad sigType');
  }
  if (!(publicKey instanceof Uint8Array) || publicKey.length === 0) {
    throw new TypeError('noteKeyId: public key must be non-empty bytes');
  }
  const digest = sha256
    .create()
    .update(utf8.encode(name))
    .update(Uint8Array.of(0x0a, sigType))
    .update(publicKey);
  return digest.digest().slice(0, 4);
}

/** C2SP verifier key: name+hex(keyID)+base64(0x01 || Ed25519 public key). */
export function encodeVerifierKey(name: string, publicKey: Uint8Array): string {
  assertKeyName('encodeVerifierKey', name);
  assertEd25519Key('encodeVerifierKey', publicKey);
  const keyData = Uint8Array.of(SIG_TYPE_ED25519, ...publicKey);
  return `${name}+${toHex(noteKeyId(name, SIG_TYPE_ED25519, publicKey))}+${encodeBase64(keyData)}`;
}

export function parseVerifierKey(vkey: string): { name: string; keyId: Uint8Array; publicKey: Uint8Array } {
  if (typeof vkey !== 'string') throw new TypeError('parseVerifierKey: expected a string');
  const text = vkey.trim();
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  const name = text.slice(0, first);
  const idHex = text.slice(first + 1, second);
  if (first < 0 || second < 0 || !isKeyName(name) || !/^[0-9a-fA-F]{8}$/.test(idHex)) {
    throw new Error('parseVerifierKey: expected <name>+<8 hex digits>+<base64 key>');
  }
  const keyData = decodeBase64(text.slice(second + 1));
  if (keyData?.length !== 33 || keyData[0] !== SIG_TYPE_ED25519) {
    throw new Error('parseVerifierKey: key must be base64 of 0x01 followed by a 32-byte Ed25519 public key');
  }
  const publicKey = keyData.slice(1);
  assertEd25519Key('parseVerifierKey', publicKey);
  const keyId = noteKeyId(name, SIG_TYPE_ED25519, publicKey);
  if (toHex(keyId) !== idHex.toLowerCase()) {
    throw new Error('parseVerifierKey: key ID does not match the key');
  }
  return { name, keyId, publicKey };
}

function formatSignatureLine(name: string, keyId: Uint8Array, ...parts: Uint8Array[]): string {
  const bytes = concatBytes(keyId, ...parts);
  return `${SIGNATURE_PREFIX}${name} ${encodeBase64(bytes)}\n`;
}

/** Parses one signature line, given with or without its final newline; null when malformed. */
function readSignatureLine(line: string): NoteSignature | null {
  const text = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (!text.startsWith(SIGNATURE_PREFIX) || text.includes('\n') || textProblem(text)) return null;
  const rest = text.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, space);
  const bytes = space < 0 ? null : decodeBase64(rest.slice(space + 1));
  if (!isKeyName(name) || !bytes || bytes.length < 5) return null;
  return { name, keyId: bytes.slice(0, 4), signature: bytes.slice(4), line: `${text}\n` };
}

/** Splits a note into its text and signatures: text ending in a newline, a blank line, signature lines. */
export function parseNote(text: string): { body: string; signatures: NoteSignature[] } {
  if (typeof text !== 'string') throw new TypeError('parseNote: expected a string');
  const problem = textProblem(text);
  if (problem) throw new Error(`parseNote: ${problem}`);
  // The text may hold blank lines itself; the last blank line is the separator.
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new Error('parseNote: no blank line between the text and the signatures');
  const lines = text.slice(split + 2);
  if (lines === '' || !lines.endsWith('\n')) {
    throw new Error('parseNote: signature lines must each end with a newline');
  }
  const signatures = lines
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const parsed = readSignatureLine(line);
      if (!parsed) throw new Error(`parseNote: malformed signature line "${line.slice(0, 80)}"`);
      return parsed;
    });
  if (signatures.length > MAX_NOTE_SIGNATURES) throw new Error('parseNote: too many signatures');
  return { body: text.slice(0, split + 1), signatures };
}

/** Signs `body` with Ed25519 as key `name`: the full note text, with one signature line. */
export function signNote(body: string, name: string, signer: Signer): string {
  assertNoteBody('signNote', body);
  assertKeyName('signNote', name);
  assertSigner('signNote', signer);
  const signature = signer.sign(utf8.encode(body));
  return `${body}\n${formatSignatureLine(name, noteKeyId(name, SIG_TYPE_ED25519, signer.publicKey), signature)}`;
}

/** Appends signature lines (e.g. cosignatures) to a signed note, skipping lines it already holds. */
export function addSignatureLines(note: string, lines: string[]): string {
  const { body, signatures } = parseNote(note);
  const all = signatures.map((s) => s.line);
  for (const line of lines) {
    const parsed = typeof line === 'string' ? readSignatureLine(line) : null;
    if (!parsed) {
      throw new Error(`addSignatureLines: malformed signature line "${String(line).slice(0, 80)}"`);
    }
    if (!all.includes(parsed.line)) all.push(parsed.line);
  }
  if (all.length > MAX_NOTE_SIGNATURES) throw new Error('addSignatureLines: too many signatures');
  return `${body}\n${all.join('')}`;
}

/**
 * Returns a function giving a note's text when it carries a valid signature by `verifierKey` (and no failing one),
 * throwing saying what failed otherwise. The key is parsed and validated once, for checking many notes.
 */
export function makeNoteVerifier(verifierKey: string): (note: string) => string {
  const key = parseVerifierKey(verifierKey);
  const keyLabel = `${key.name}+${toHex(key.keyId)}`;
  const verifies = makeSignatureVerifier(key.publicKey);
  return (note) => {
    let parsed: ReturnType<typeof parseNote>;
    try {
      parsed = parseNote(note);
    } catch (err) {
      throw new Error(`verifyNote: malformed note: ${(err as Error).message}`);
    }
    const own = parsed.signatures.filter((s) => s.name === key.name && equalBytes(s.keyId, key.keyId));
    if (own.length === 0) throw new Error(`verifyNote: no signature by key ${keyLabel}`);
    const message = utf8.encode(parsed.body);
    // C2SP: a failing signature from a known key rejects the whole note, even when another one verifies.
    if (!own.every((s) => verifies(s.signature, message)))
      throw new Error(`verifyNote: bad signature by key ${keyLabel}`);
    return parsed.body;
  };
}

/** Returns the note's text if it carries a valid signature by `verifierKey`; throws saying what failed. */
export function verifyNote(note: string, verifierKey: string): { body: string } {
  return { body: makeNoteVerifier(verifierKey)(note) };
}

function cosignedMessage(checkpointBody: string, timestamp: number): Uint8Array {
  return utf8.encode(`${COSIGNATURE_HEADER}time ${timestamp}\n${checkpointBody}`);
}

/** A tlog-cosignature/v1 signature line: base64(keyID(0x04) || u64be timestamp || Ed25519 signature). */
export function cosignCheckpoint(
  checkpointBody: string,
  name: string,
  signer: Signer,
  timestamp: number,
): string {
  assertCheckpointBody('cosignCheckpoint', checkpointBody);
  assertKeyName('cosignCheckpoint', name);
  assertSigner('cosignCheckpoint', signer);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(
      `cosignCheckpoint: timestamp must be whole seconds since the epoch, got ${timestamp}`,
    );
  }
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, BigInt(timestamp));
  const signature = signer.sign(cosignedMessage(checkpointBody, timestamp));
  return formatSignatureLine(
    name,
    noteKeyId(name, SIG_TYPE_COSIGNATURE_V1, signer.publicKey),
    time,
    signature,
  );
}

/** The cosignature's timestamp if `line` is a valid tlog-cosignature/v1 by (name, publicKey); null otherwise. */
export function verifyCosignature(
  checkpointBody: string,
  line: string,
  name: string,
  publicKey: Uint8Array,
): { timestamp: number } | null {
  assertCheckpointBody('verifyCosignature', checkpointBody);
  assertKeyName('verifyCosignature', name);
  assertEd25519Key('verifyCosignature', publicKey);
  const parsed = typeof line === 'string' ? readSignatureLine(line) : null;
  if (!parsed || parsed.name !== name || parsed.signature.length !== 8 + 64) return null;
  if (!equalBytes(parsed.keyId, noteKeyId(name, SIG_TYPE_COSIGNATURE_V1, publicKey))) return null;
  const view = new DataView(parsed.signature.buffer, parsed.signature.byteOffset, 8);
  const timestamp = view.getBigUint64(0);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const message = cosignedMessage(checkpointBody, Number(timestamp));
  if (!verifySignature(parsed.signature.slice(8), message, publicKey)) return null;
  return { timestamp: Number(timestamp) };
}
