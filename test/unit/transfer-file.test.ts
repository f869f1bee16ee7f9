import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedPaddedPtau } from '../../src/bench/transfer-bench.js';
import { checkCircuitInputs, readPtauInfo } from '../../src/snark/runner.js';
import { fixturePath, makeTempDir, removeZkeyDirs } from '../helpers/zkeys.js';

let dir: string;

beforeAll(async () => {
  dir = await makeTempDir();
});

afterAll(removeZkeyDirs);

describe('the transfer bench file', () => {
  // The bench uploads it as a circuit's ptau and downloads it back: the coordinator must accept it as pot10.ptau.
  it('is pot10.ptau grown to the asked size, still a ptau the coordinator accepts for a circuit', async () => {
    const bytes = 3 * 1024 * 1024 + 17;
    const path = await cachedPaddedPtau(dir, bytes);
    expect((await stat(path)).size).toBe(bytes);
    expect(await readPtauInfo(path)).toEqual({ power: 10, ceremonyPower: 10, preparedForPhase2: true });
    expect(await checkCircuitInputs(fixturePath('mulchain-1021.r1cs'), path)).toEqual({
      constraints: 1021,
      power: 10,
    });
    expect(await cachedPaddedPtau(dir, bytes)).toBe(path);
  });

  it('refuses a size smaller than pot10.ptau', async () => {
    await expect(cachedPaddedPtau(dir, 1024)).rejects.toThrow(/transfer bench: size must be at least/);
  });
});
