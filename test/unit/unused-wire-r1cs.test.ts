// The fixture with unused private wires is what test/helpers/unused-wire-r1cs.ts makes from mulchain-1021, with the
// same constraints over two more wires.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { withUnusedWires } from '../helpers/unused-wire-r1cs.js';
import { fixturePath } from '../helpers/zkeys.js';

describe('r1cs with unused private wires', () => {
  it('is the fixture byte for byte, with two more wires and the same constraints', async () => {
    const plain = new Uint8Array(await readFile(fixturePath('mulchain-1021.r1cs')));
    const fixture = new Uint8Array(await readFile(fixturePath('mulchain-1021-unused-2.r1cs')));
    expect(Buffer.from(withUnusedWires(plain, 2)).equals(fixture)).toBe(true);
    // Two 8-byte labels more; the constraints section (first, as circom writes it) is unchanged.
    expect(fixture.length).toBe(plain.length + 16);
    const constraintsEnd = 12 + 12 + Number(new DataView(plain.buffer).getBigUint64(16, true));
    expect(
      Buffer.from(fixture.subarray(0, constraintsEnd)).equals(Buffer.from(plain.subarray(0, constraintsEnd))),
    ).toBe(true);
  });
});
