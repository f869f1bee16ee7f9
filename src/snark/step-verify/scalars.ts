// The secret random scalars rᵢ of the random linear combinations, 64 bits each. They come from an AES-256-CTR
// keystream under a fresh random key, so the scalars of any index range are recomputed on demand at the same value
// on both sides (zkey_prev now, zkey_new while it streams in) and memory stays flat in circuit size.
import { createCipheriv, randomBytes } from 'node:crypto';

/** Bytes per scalar: 64 bits, so a wrong section passes with probability at most 2^-64 (docs/VERIFIER.md). */
export const SCALAR_BYTES = 8;

export interface ScalarSource {
  /** The scalars of points [first, first + count) of one section, SCALAR_BYTES little-endian bytes each. */
  scalarsFor(section: number, first: number, count: number): Uint8Array;
}

const blockBytes = 16;

/** A fresh source: one secret key per section, drawn from the CSPRNG; the key never leaves this object. */
export function makeScalarSource(): ScalarSource {
  const keys = new Map<number, Buffer>();
  const keyOf = (section: number) => {
    let key = keys.get(section);
    if (!key) {
      key = randomBytes(32);
      keys.set(section, key);
    }
    return key;
  };
  return {
    scalarsFor(section, first, count) {
      if (!Number.isInteger(first) || first < 0 || !Number.isInteger(count) || count < 0) {
        throw new RangeError(`scalarsFor: expected a non-negative index range, got ${first}+${count}`);
      }
      const start = first * SCALAR_BYTES;
      const block = Math.floor(start / blockBytes);
      const skip = start - block * blockBytes;
      const counter = Buffer.alloc(blockBytes);
      counter.writeUIntBE(block, 10, 6);
      const cipher = createCipheriv('aes-256-ctr', keyOf(section), counter);
      const stream = cipher.update(Buffer.alloc(skip + count * SCALAR_BYTES));
      return new Uint8Array(stream.buffer, stream.byteOffset + skip, count * SCALAR_BYTES);
    },
  };
}
