// A circuit with private wires that no constraint uses: their L points are infinity in every zkey of the ceremony.
// The step verifier leaves those indices out of its random linear combination, so it must require them to stay the
// encoding of infinity byte for byte, on the file path and the streaming path alike, as snarkjs does.
import { readFile } from 'node:fs/promises';
import type * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyFromInit } from '../../src/snark/runner.js';
import { getCurve } from '../../src/snark/step-verify/curve.js';
import { PointSum } from '../../src/snark/step-verify/point-sum.js';
import { makeScalarSource } from '../../src/snark/step-verify/scalars.js';
import { prepareStep, startStepCheck, verifyStep } from '../../src/snark/step-verify/step-verifier.js';
import { readZkeyInfo, type ZkeyInfo } from '../../src/snark/zkey-file.js';
import { multipleOfGenerator, randomG1 } from '../helpers/g1-file.js';
import {
  buildZkeyChain,
  makeTempDir,
  removeZkeyDirs,
  writeEditedCopy,
  type ZkeyChain,
} from '../helpers/zkeys.js';

let chain: ZkeyChain;
let dir: string;
let prevInfo: ZkeyInfo;
let curve: snarkjs.SnarkjsCurve;
let lCount: number;

beforeAll(async () => {
  chain = await buildZkeyChain({ circuit: 'mulchain-1021-unused-2', contributions: 2 });
  dir = await makeTempDir();
  prevInfo = await readZkeyInfo(chain.contributions[0]!);
  curve = await getCurve();
  lCount = section(prevInfo, 8).size / 64;
}, 120_000);
afterAll(removeZkeyDirs);

function section(info: ZkeyInfo, id: number) {
  return info.sections.find((s) => s.id === id)!;
}

function pointAt(id: number, index: number): number {
  return section(prevInfo, id).offset + index * 64;
}

/** The verdict of the file path and of the streaming path (odd chunk sizes, chunks of 100 points). */
async function bothPaths(path: string) {
  const file = await verifyStep(chain.contributions[0]!, path);
  const check = startStepCheck(await prepareStep(chain.contributions[0]!, { chunkPoints: 100 }));
  const bytes = new Uint8Array(await readFile(path));
  for (let at = 0, size = 777; at < bytes.length; at += size, size = (size * 31 + 7) % 20011) {
    await check.push(bytes.subarray(at, at + size));
  }
  return [file, await check.finish()];
}

describe('points at infinity in zkey_prev (a circuit with two unused private wires)', () => {
  it('has the last two L points at infinity, and an honest contribution keeps them there', async () => {
    const bytes = new Uint8Array(await readFile(chain.contributions[1]!));
    for (const index of [lCount - 2, lCount - 1]) {
      expect(bytes.subarray(pointAt(8, index), pointAt(8, index) + 64).every((b) => b === 0)).toBe(true);
    }
    expect(bytes.subarray(pointAt(8, lCount - 3), pointAt(8, lCount - 3) + 64).some((b) => b !== 0)).toBe(
      true,
    );
    for (const verdict of await bothPaths(chain.contributions[1]!)) expect(verdict.ok).toBe(true);
  }, 120_000);

  it('refuses a valid finite point where zkey_prev held infinity, naming section and index, as snarkjs does', async () => {
    const plants: [string, Uint8Array][] = [
      ['generator', multipleOfGenerator(curve, 1n)],
      ['random point', randomG1(curve)],
      [
        'a copy of L[0]',
        new Uint8Array(await readFile(chain.contributions[1]!)).slice(pointAt(8, 0), pointAt(8, 1)),
      ],
    ];
    for (const [name, point] of plants) {
      for (const index of [lCount - 2, lCount - 1]) {
        const path = await writeEditedCopy(chain.contributions[1]!, dir, `${name}-${index}.zkey`, (b) => {
          b.set(point, pointAt(8, index));
          return b;
        });
        for (const verdict of await bothPaths(path)) {
          expect(verdict, name).toMatchObject({
            ok: false,
            code: 'ZKEY_VERIFICATION_FAILED',
            message: `section 8 (L): point ${index} must stay at infinity`,
          });
        }
      }
    }
    // One file is enough to show that snarkjs refuses the same thing.
    const last = `${dir}/a copy of L[0]-${lCount - 1}.zkey`;
    expect((await verifyFromInit(chain.init, chain.ptau, last)).ok).toBe(false);
  }, 180_000);

  it('refuses bytes that are not a point (off the curve, one bit set) where infinity was', async () => {
    const path = await writeEditedCopy(chain.contributions[1]!, dir, 'one-bit.zkey', (b) => {
      b[pointAt(8, lCount - 1) + 63] = 0x01;
      return b;
    });
    for (const verdict of await bothPaths(path)) {
      expect(verdict).toMatchObject({
        ok: false,
        code: 'ZKEY_VERIFICATION_FAILED',
        message: /point 1022 must stay/,
      });
    }
  }, 120_000);
});

describe('PointSum, H section: the rule does not depend on the section', () => {
  it('refuses a finite point in H where the previous H held infinity', async () => {
    const scalars = makeScalarSource();
    const g = multipleOfGenerator(curve, 7n);
    const prevH = new Uint8Array(64 * 5);
    for (const i of [0, 1, 3, 4]) prevH.set(g, i * 64);
    const problems: string[] = [];
    const prev = new PointSum({
      curve,
      section: 9,
      scalars,
      infinityAt: new Set(),
      side: 'prev',
      onProblem: (m) => problems.push(m),
      chunkPoints: 2,
    });
    prev.data(prevH);
    await prev.total();
    expect([...prev.infinityFound]).toEqual([2]);
    const nextH = prevH.slice();
    nextH.set(g, 2 * 64);
    const next = new PointSum({
      curve,
      section: 9,
      scalars,
      infinityAt: prev.infinityFound,
      side: 'next',
      onProblem: (m) => problems.push(m),
      chunkPoints: 2,
    });
    next.data(nextH);
    await next.total();
    expect(problems).toEqual(['section 9 (H): point 2 must stay at infinity']);
  });
});
