// makeNoteVerifier and note.ts verifyNote must both reach each case's fixed verdict, including signatures that
// OpenSSL refuses but the strict (cofactored) noble check accepts, and the non-canonical s + L that both refuse.
import { createPublicKey, verify as opensslVerify, randomBytes } from 'node:crypto';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import {
  addSignatureLines,
  encodeVerifierKey,
  formatCheckpoint,
  makeNoteVerifier,
  parseNote,
  signNote,
  verifyNote,
} from '../../src/transcript/note.js';

const NAME = 'log.example';
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const body = formatCheckpoint({
  origin: `${NAME}/ceremonies/c`,
  size: 7,
  rootHash: new Uint8Array(32).fill(9),
});

function toLE(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

function fromLE(bytes: Uint8Array): bigint {
  return bytes.reduceRight((acc, byte) => (acc << 8n) + BigInt(byte), 0n);
}

/** Replaces the signature bytes of a note's only signature line. */
function withSignature(note: string, signature: Uint8Array): string {
  const { body: text, signatures } = parseNote(note);
  const keyId = signatures[0]!.keyId;
  return `${text}\n— ${NAME} ${Buffer.from([...keyId, ...signature]).toString('base64')}\n`;
}

/** A signature valid only under the cofactored equation: R carries a small-order component. */
function torsionedSignature(seed: Uint8Array, message: Uint8Array): Uint8Array {
  const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
  const torsion = ed25519.Point.fromHex(ED25519_TORSION_SUBGROUP[1]!);
  const r = fromLE(randomBytes(32)) % L;
  const R = ed25519.Point.BASE.multiply(r).add(torsion).toBytes();
  const k = fromLE(sha512(new Uint8Array([...R, ...pointBytes, ...message]))) % L;
  return new Uint8Array([...R, ...toLE((r + k * scalar) % L)]);
}

function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('makeNoteVerifier', () => {
  const keys = generateKeyPair();
  const verifierKey = encodeVerifierKey(NAME, keys.publicKey);
  const verify = makeNoteVerifier(verifierKey);
  const note = signNote(body, NAME, keys);
  const signature = parseNote(note).signatures[0]!.signature;

  const flipped = (index: number) => {
    const copy = signature.slice();
    copy[index]! ^= 1;
    return withSignature(note, copy);
  };
  const badSignature = /^verifyNote: bad signature by key log\.example\+[0-9a-f]{8}$/;
  // Each case's verdict is fixed here, so neither verifier can drift along with the other.
  const cases: [string, string, 'ok' | RegExp][] = [
    ['valid', note, 'ok'],
    ['flipped R byte', flipped(3), badSignature],
    ['flipped s byte', flipped(40), badSignature],
    [
      's + L (non-canonical)',
      withSignature(
        note,
        new Uint8Array([...signature.slice(0, 32), ...toLE(fromLE(signature.slice(32)) + L)]),
      ),
      badSignature,
    ],
    ['other key, same name', signNote(body, NAME, generateKeyPair()), /no signature by key/],
    ['two signatures, one bad', addSignatureLines(note, [flipped(50).split('\n\n')[1]!]), badSignature],
    ['edited text', note.replace('\n7\n', '\n8\n'), badSignature],
    ['not a note', 'hello\n', /malformed note/],
    [
      'torsioned R',
      withSignature(note, torsionedSignature(keys.secretKey, new TextEncoder().encode(body))),
      'ok',
    ],
  ];

  it.each(cases)('decides %s with its fixed verdict, as verifyNote does', (_label, text, expected) => {
    const verdicts = [outcome(() => verify(text)), outcome(() => verifyNote(text, verifierKey))];
    for (const verdict of verdicts) {
      if (expected === 'ok') expect(verdict).toBe('ok');
      else expect(verdict).toMatch(expected);
    }
  });

  it('accepts what only the cofactored check accepts, and rejects tampering', () => {
    const torsioned = cases.find(([label]) => label === 'torsioned R')![1];
    const sig = parseNote(torsioned).signatures[0]!.signature;
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(keys.publicKey).toString('base64url') },
      format: 'jwk',
    });
    // OpenSSL refuses it, so the verdict below comes from the noble fallback.
    expect(opensslVerify(null, new TextEncoder().encode(body), publicKey, sig)).toBe(false);
    expect(verify(torsioned)).toBe(body);
    expect(verify(note)).toBe(body);
    expect(() => verify(flipped(3))).toThrow(/bad signature/);
    expect(() => verify(cases[4]![1])).toThrow(/no signature by key/);
  });
});
