// The secret scalars of the random linear combination: a fresh key per verification and per section, a distinct
// value per index, and the same value for an index however the points are cut into chunks (both sides agree).
import { describe, expect, it } from 'vitest';
import { makeScalarSource, SCALAR_BYTES } from '../../src/snark/step-verify/scalars.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function scalarsOf(bytes: Uint8Array): string[] {
  return Array.from({ length: bytes.length / SCALAR_BYTES }, (_, i) =>
    hex(bytes.subarray(i * SCALAR_BYTES, (i + 1) * SCALAR_BYTES)),
  );
}

describe('scalar source', () => {
  it('gives L and H unrelated scalars', () => {
    const source = makeScalarSource();
    const l = scalarsOf(source.scalarsFor(8, 0, 4096));
    const h = new Set(scalarsOf(source.scalarsFor(9, 0, 4096)));
    expect(l.filter((s) => h.has(s))).toEqual([]);
  });

  it('gives every index of a section its own scalar, across chunks', () => {
    const source = makeScalarSource();
    const chunks = [0, 1, 2, 3].map((k) => scalarsOf(source.scalarsFor(8, k * 4096, 4096)));
    expect(new Set(chunks.flat()).size).toBe(4 * 4096);
  });

  it('gives an index the same scalar however the range is cut (zkey_prev and zkey_new sides agree)', () => {
    const source = makeScalarSource();
    const whole = source.scalarsFor(9, 0, 100);
    for (const [first, count] of [
      [0, 1],
      [1, 16],
      [17, 83],
      [99, 1],
    ] as const) {
      expect(hex(source.scalarsFor(9, first, count))).toBe(
        hex(whole.subarray(first * SCALAR_BYTES, (first + count) * SCALAR_BYTES)),
      );
    }
  });

  it('gives a fresh verification fresh scalars', () => {
    expect(hex(makeScalarSource().scalarsFor(8, 0, 64))).not.toBe(
      hex(makeScalarSource().scalarsFor(8, 0, 64)),
    );
  });
});
