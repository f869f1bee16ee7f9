// The step verifier against snarkjs, the reference: random tamperings of an honest contribution go to both, and the
// step verifier must never accept a file that snarkjs refuses. Being stricter is allowed only for the tamperings
// named in `stricterThanSnarkjs`. The circuit has unused private wires (L points at infinity) and the step verifier
// runs with 16-point chunks, so L and H span several chunks.
//   DIFFERENTIAL_SEED=<n>   replays a run (the seed is printed at the start)
//   DIFFERENTIAL_CASES=<n>  number of tampered files (default 176, 8 per tampering: about 90 s at load average 20 on 2 cores)
import { randomInt } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMulchainR1cs } from '../../src/bench/mulchain-r1cs.js';
import { getCurve } from '../../src/snark/step-verify/curve.js';
import {
  prepareStep,
  type StepVerdict,
  startStepCheck,
  verifyStep,
} from '../../src/snark/step-verify/step-verifier.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { seededRandom } from '../faults/seeded-random.js';
import { writeWithUnusedWires } from '../helpers/unused-wire-r1cs.js';
import { type TamperContext, tamperings } from '../helpers/zkey-tamper.js';
import { contributeOnto, fixturePath, makeTempDir, removeZkeyDirs } from '../helpers/zkeys.js';

const seed = Number(process.env.DIFFERENTIAL_SEED ?? randomInt(2 ** 31));
const cases = Number(process.env.DIFFERENTIAL_CASES ?? 176);
const chunkPoints = 16;
const unusedWires = 3;

/** Tamperings the step verifier refuses although snarkjs accepts them, and why refusing is right. */
const stricterThanSnarkjs: Record<string, string> = {
  'bytes after the last section':
    'snarkjs reads the sections its table names and ignores the rest; the coordinator serves the exact bytes it verified, so a file must end at its last section',
  'non-canonical encoding in the new record or delta':
    'snarkjs reduces coordinates modulo q as it reads them; the step verifier refuses a coordinate ≥ q, so one key has one encoding and one SHA-256',
  'non-canonical encoding of the same point':
    'the same rule for L and H: snarkjs may read an unreduced coordinate as the same point, the step verifier refuses it',
};

let context: TamperContext;
let dir: string;
let init: string;
let prev: string;
const ptau = fixturePath('pot10.ptau');

beforeAll(async () => {
  console.log(`differential test: DIFFERENTIAL_SEED=${seed} DIFFERENTIAL_CASES=${cases}`);
  dir = await makeTempDir();
  const plain = join(dir, 'mulchain-60.r1cs');
  const r1cs = join(dir, 'mulchain-60-unused.r1cs');
  await writeMulchainR1cs(plain, 60);
  await writeWithUnusedWires(plain, r1cs, unusedWires);
  init = join(dir, 'init.zkey');
  expect(typeof (await snarkjs.zKey.newZKey(r1cs, ptau, init))).not.toBe('number');
  // The initial zkey checked against r1cs + ptau once: from here on verifyFromInit is verifyFromR1cs's verdict.
  expect(await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, init)).toBe(true);
  prev = join(dir, 'prev.zkey');
  await contributeOnto(init, prev, 'alice');
  const honest = join(dir, 'honest.zkey');
  const other = join(dir, 'other.zkey');
  await contributeOnto(prev, honest, 'bob');
  await contributeOnto(prev, other, 'mallory');
  const { readFile } = await import('node:fs/promises');
  const info = await readZkeyInfo(honest);
  const lCount = info.sections.find((s) => s.id === 8)!.size / 64;
  context = {
    curve: await getCurve(),
    honest: new Uint8Array(await readFile(honest)),
    info,
    other: new Uint8Array(await readFile(other)),
    otherInfo: await readZkeyInfo(other),
    infinityL: Array.from({ length: unusedWires }, (_, k) => lCount - unusedWires + k),
    chunkPoints,
    random: seededRandom(seed),
  };
}, 120_000);
afterAll(removeZkeyDirs);

async function streamed(bytes: Uint8Array, random: () => number): Promise<StepVerdict> {
  const check = startStepCheck(await prepareStep(prev, { curve: context.curve, chunkPoints }));
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * 3000);
    await check.push(bytes.subarray(at, at + size));
    at += size;
    if (check.failure) break;
  }
  return check.finish();
}

async function snarkjsAccepts(path: string): Promise<boolean> {
  try {
    return await snarkjs.zKey.verifyFromInit(init, ptau, path);
  } catch {
    return false;
  }
}

describe('step verifier vs snarkjs verifyFromInit (differential, seeded)', () => {
  it('honest contributions: both accept, on both paths', async () => {
    const path = join(dir, 'honest.zkey');
    expect((await verifyStep(prev, path, { curve: context.curve })).ok).toBe(true);
    expect((await streamed(context.honest, context.random)).ok).toBe(true);
    expect(await snarkjsAccepts(path)).toBe(true);
  }, 60_000);

  it(`never accepts a tampered file that snarkjs refuses (${cases} cases)`, async () => {
    const names = Object.keys(tamperings);
    const unsound: string[] = [];
    const stricter = new Map<string, number>();
    const tally = new Map<string, string>();
    for (let n = 0; n < cases; n++) {
      const name = names[n % names.length]!;
      const bytes = tamperings[name]!(context);
      const path = join(dir, `case-${n}.zkey`);
      await writeFile(path, bytes);
      const file = await verifyStep(prev, path, { curve: context.curve });
      const stream = await streamed(bytes, context.random);
      expect(stream.ok, `case ${n} (${name}): streamed and file verdicts differ`).toBe(file.ok);
      const reference = await snarkjsAccepts(path);
      if (file.ok && !reference) unsound.push(`case ${n}: ${name}`);
      if (!file.ok && reference) stricter.set(name, (stricter.get(name) ?? 0) + 1);
      tally.set(name, `${file.ok ? 'accepted' : 'refused'}/${reference ? 'accepted' : 'refused'}`);
    }
    console.log([...tally].map(([k, v]) => `${k}: step ${v.replace('/', ', snarkjs ')}`).join('\n'));
    console.log(`stricter than snarkjs: ${JSON.stringify(Object.fromEntries(stricter))}`);
    expect(unsound, `step verifier accepted files snarkjs refuses (seed ${seed})`).toEqual([]);
    expect([...stricter.keys()].filter((k) => !(k in stricterThanSnarkjs))).toEqual([]);
  }, 600_000);
});
