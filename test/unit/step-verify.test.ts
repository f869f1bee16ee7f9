// The incremental verifier on real zkeys (snarkjs zkey contribute and the CLI's contribute job), every tampering
// of L and H it must catch, and the same verdict as snarkjs's verifyFromInit on each case.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BN128_Q } from '../../src/snark/bn128-encoding.js';
import { contribute, verifyFromInit } from '../../src/snark/runner.js';
import { StepService } from '../../src/snark/step-verify/step-service.js';
import { prepareStep, startStepCheck, verifyStep } from '../../src/snark/step-verify/step-verifier.js';
import { readZkeyInfo, type ZkeyInfo } from '../../src/snark/zkey-file.js';
import {
  buildZkeyChain,
  contributeOnto,
  makeTempDir,
  removeZkeyDirs,
  writeEditedCopy,
  type ZkeyChain,
} from '../helpers/zkeys.js';

let chain: ZkeyChain;
let dir: string;
let prevInfo: ZkeyInfo; // zkey after 1 contribution: the accepted one in the tampering cases
let honest: string; // zkey after 2 contributions

beforeAll(async () => {
  chain = await buildZkeyChain({ contributions: 3 });
  dir = await makeTempDir();
  prevInfo = await readZkeyInfo(chain.contributions[0]!);
  honest = chain.contributions[1]!;
}, 120_000);
afterAll(removeZkeyDirs);

// The G1 generator (1, 2) in file encoding: little-endian Montgomery coordinates.
function generatorBytes(): Uint8Array {
  const out = new Uint8Array(64);
  for (const [slot, value] of [
    [0, 1n],
    [32, 2n],
  ] as const) {
    let v = (value << 256n) % BN128_Q;
    for (let i = 0; i < 32; i++, v >>= 8n) out[slot + i] = Number(v & 0xffn);
  }
  return out;
}

function pointAt(info: ZkeyInfo, section: number, index: number): number {
  return info.sections.find((s) => s.id === section)!.offset + index * 64;
}

function pointCount(info: ZkeyInfo, section: number): number {
  return info.sections.find((s) => s.id === section)!.size / 64;
}

async function tampered(name: string, edit: (bytes: Uint8Array) => void): Promise<string> {
  return writeEditedCopy(honest, dir, name, (bytes) => {
    edit(bytes);
    return bytes;
  });
}

async function expectBothRefuse(path: string, message: RegExp, prev = chain.contributions[0]!) {
  const verdict = await verifyStep(prev, path);
  expect(verdict.ok).toBe(false);
  if (!verdict.ok) expect(verdict.message).toMatch(message);
  const reference = await verifyFromInit(chain.init, chain.ptau, path);
  expect(reference.ok).toBe(false);
}

describe('verifyStep (zkey_prev → zkey_new)', () => {
  it('accepts an honest chain of snarkjs contributions, as verifyFromInit does', async () => {
    const steps = [chain.init, ...chain.contributions];
    for (let i = 0; i + 1 < steps.length; i++) {
      const verdict = await verifyStep(steps[i]!, steps[i + 1]!);
      expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
      if (verdict.ok) expect(verdict.contribution.contributionHash).toBe(chain.contributionHashes[i]);
    }
    expect((await verifyFromInit(chain.init, chain.ptau, steps.at(-1)!)).ok).toBe(true);
  }, 60_000);

  it("accepts a contribution made by the CLI's contribute job", async () => {
    const out = join(dir, 'cli.zkey');
    const made = await contribute(chain.contributions[2]!, out, 'frank', 'entropy for the test');
    const verdict = await verifyStep(chain.contributions[2]!, out);
    expect(verdict.ok).toBe(true);
    if (verdict.ok) expect(verdict.contribution.contributionHash).toBe(made.contributionHash);
  }, 60_000);

  it('refuses a single changed point at the start, middle or end of L, as verifyFromInit does', async () => {
    const n = pointCount(prevInfo, 8);
    for (const index of [0, Math.floor(n / 2), n - 1]) {
      const path = await tampered(`l-${index}.zkey`, (b) =>
        b.set(generatorBytes(), pointAt(prevInfo, 8, index)),
      );
      await expectBothRefuse(path, /section 8 \(L\)/);
    }
  }, 120_000);

  it('refuses a single changed point at the start, middle or end of H, as verifyFromInit does', async () => {
    const n = pointCount(prevInfo, 9);
    for (const index of [0, Math.floor(n / 2), n - 1]) {
      const path = await tampered(`h-${index}.zkey`, (b) =>
        b.set(generatorBytes(), pointAt(prevInfo, 9, index)),
      );
      await expectBothRefuse(path, /section 9 \(H\)/);
    }
  }, 120_000);

  it('refuses two swapped points of L and of H', async () => {
    for (const section of [8, 9]) {
      const path = await tampered(`swap-${section}.zkey`, (b) => {
        const a = pointAt(prevInfo, section, 3);
        const c = pointAt(prevInfo, section, 4);
        const first = b.slice(a, a + 64);
        b.copyWithin(a, c, c + 64);
        b.set(first, c);
      });
      await expectBothRefuse(path, new RegExp(`section ${section}`));
    }
  }, 60_000);

  it('refuses a point off the curve and a point at infinity, naming the point', async () => {
    const offCurve = await tampered('off-curve.zkey', (b) => {
      const at = pointAt(prevInfo, 8, 7);
      b[at] = b[at]! ^ 0x01;
    });
    await expectBothRefuse(offCurve, /section 8 \(L\): point 7 is not on the curve/);
    const infinity = await tampered('infinity.zkey', (b) =>
      b.fill(0, pointAt(prevInfo, 9, 11), pointAt(prevInfo, 9, 12)),
    );
    await expectBothRefuse(infinity, /section 9 \(H\): point 11 is the point at infinity/);
  }, 60_000);

  it('refuses a contribution built on an older zkey', async () => {
    const fork = join(dir, 'fork.zkey');
    await contributeOnto(chain.contributions[0]!, fork, 'mallory');
    const verdict = await verifyStep(chain.contributions[1]!, fork);
    expect(verdict).toMatchObject({ ok: false, code: 'ZKEY_NOT_EXTENDING' });
    // snarkjs alone accepts a fork: only the coordinator's chain rule refuses it.
    expect((await verifyFromInit(chain.init, chain.ptau, fork)).ok).toBe(true);
  }, 60_000);

  it('refuses a zkey whose L is right but H is not, and the reverse', async () => {
    const prevBytes = new Uint8Array(await readFile(chain.contributions[0]!));
    for (const [stale, message] of [
      [9, /section 9 \(H\)/],
      [8, /section 8 \(L\)/],
    ] as const) {
      const s = prevInfo.sections.find((x) => x.id === stale)!;
      // The section left as it was before the contribution: the other one correctly divided by the secret.
      const path = await tampered(`stale-${stale}.zkey`, (b) =>
        b.set(prevBytes.subarray(s.offset, s.offset + s.size), s.offset),
      );
      await expectBothRefuse(path, message);
    }
  }, 60_000);

  it('refuses a changed fixed section and a truncated upload', async () => {
    const ic = await tampered('ic.zkey', (b) =>
      b.set(generatorBytes(), prevInfo.sections.find((s) => s.id === 3)!.offset),
    );
    const verdict = await verifyStep(chain.contributions[0]!, ic);
    expect(verdict).toMatchObject({ ok: false, code: 'ZKEY_WRONG_CIRCUIT', message: /section 3 differs/ });

    const check = startStepCheck(await prepareStep(chain.contributions[0]!));
    const bytes = new Uint8Array(await readFile(honest));
    await check.push(bytes.subarray(0, bytes.length - 100));
    expect(await check.finish()).toMatchObject({ ok: false, code: 'INVALID_ZKEY', message: /truncated/ });
  }, 60_000);

  it('gives the same verdict fed one byte range at a time in odd sizes', async () => {
    const check = startStepCheck(await prepareStep(chain.contributions[0]!));
    const bytes = new Uint8Array(await readFile(honest));
    for (let at = 0, size = 1; at < bytes.length; at += size, size = (size * 7 + 3) % 9973) {
      await check.push(bytes.subarray(at, at + size));
    }
    expect((await check.finish()).ok).toBe(true);
  }, 60_000);

  it('refuses to reuse a preparation: the secret scalars are fresh per verification', async () => {
    const prepared = await prepareStep(chain.contributions[0]!);
    startStepCheck(prepared);
    expect(() => startStepCheck(prepared)).toThrow(/already used/);
  });

  it('in the verifier child process: prepared ahead, fed chunks, a verdict per upload with fresh scalars', async () => {
    const service = new StepService();
    try {
      const prev = chain.contributions[0]!;
      service.prepare('prev', prev);
      const feed = async (path: string) => {
        const check = await service.begin('prev', prev, 120_000);
        const bytes = new Uint8Array(await readFile(path));
        for (let at = 0; at < bytes.length; at += 65536) await check.push(bytes.slice(at, at + 65536));
        return check.finish();
      };
      const badL = await tampered('service-l.zkey', (b) => b.set(generatorBytes(), pointAt(prevInfo, 8, 2)));
      expect(await feed(badL)).toMatchObject({
        ok: false,
        code: 'ZKEY_VERIFICATION_FAILED',
        message: /section 8/,
      });
      expect(await feed(honest)).toEqual({ ok: true, contributionHash: chain.contributionHashes[1] });
    } finally {
      service.stop();
    }
  }, 120_000);
});
