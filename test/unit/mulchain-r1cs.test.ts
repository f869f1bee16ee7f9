import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMulchainR1cs } from '../../src/bench/mulchain-r1cs.js';
import { readR1csInfo, requiredPower } from '../../src/snark/runner.js';
import { fixturePath, makeTempDir, removeZkeyDirs } from '../helpers/zkeys.js';

let dir: string;

beforeAll(async () => {
  dir = await makeTempDir();
});

afterAll(removeZkeyDirs);

describe('writeMulchainR1cs', () => {
  // The fixtures were compiled by circom 2; byte equality covers circom's term order (wire 256 sorts before 2).
  it.each([1021, 4093])('writes the same bytes as circom for %i constraints', async (n) => {
    const path = join(dir, `mulchain-${n}.r1cs`);
    await writeMulchainR1cs(path, n);
    expect(Buffer.compare(await readFile(path), await readFile(fixturePath(`mulchain-${n}.r1cs`)))).toBe(0);
  });

  it('writes the 2^14 circuit of the bench: 16,381 constraints, one public input, one output', async () => {
    const path = join(dir, 'mulchain-16381.r1cs');
    await writeMulchainR1cs(path, 16_381);
    const info = await readR1csInfo(path);
    expect(info).toEqual({ constraints: 16_381, nVars: 16_383, nPublic: 2, nOutputs: 1, prime: 'bn128' });
    expect(requiredPower(info.constraints, info.nPublic, info.nVars)).toBe(14);
  });

  it('refuses a size it cannot write and leaves no file', async () => {
    const path = join(dir, 'mulchain-1.r1cs');
    await expect(writeMulchainR1cs(path, 1)).rejects.toThrow(/writeMulchainR1cs: constraints must be/);
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
  });
});
