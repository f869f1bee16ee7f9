import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyContributionProofs, verifyHeaderDelta } from '../../src/snark/pok.js';
import { verifyFromInit } from '../../src/snark/runner.js';
import { ChaChaRng } from '../../src/snark/snarkjs-rng.js';
import { readZkeyInfo, type ZkeyContribution, type ZkeyInfo } from '../../src/snark/zkey-file.js';
import {
  buildZkeyChain,
  makeTempDir,
  removeZkeyDirs,
  writeEditedCopy,
  type ZkeyChain,
} from '../helpers/zkeys.js';

let chain: ZkeyChain;
let infos: ZkeyInfo[]; // infos[i] = zkey after i contributions
let final: ZkeyInfo;

beforeAll(async () => {
  chain = await buildZkeyChain({ contributions: 3, beacon: true });
  infos = await Promise.all([chain.init, ...chain.contributions].map(readZkeyInfo));
  final = await readZkeyInfo(chain.beacon!);
});
afterAll(removeZkeyDirs);

function flip(bytes: Uint8Array, at = 5): Uint8Array {
  const copy = bytes.slice();
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

// The same zkey with contribution `index` changed.
function edit(info: ZkeyInfo, index: number, change: Partial<ZkeyContribution>): ZkeyInfo {
  const contributions = info.contributions.map((c, i) => (i === index ? { ...c, ...change } : c));
  return { ...info, contributions };
}

async function oks(info: ZkeyInfo): Promise<boolean[]> {
  return (await verifyContributionProofs(info)).map((c) => c.ok);
}

describe('ChaChaRng (ffjavascript ChaCha)', () => {
  it('matches the ChaCha20 keystream for an all-zero key and nonce', () => {
    const rng = new ChaChaRng([0, 0, 0, 0, 0, 0, 0, 0]);
    const words = Array.from({ length: 4 }, () => rng.nextU32());
    expect(words).toEqual([0xade0b876, 0x903df1a0, 0xe56a5d40, 0x28bd8653]);
  });
});

describe('verifyContributionProofs on real zkeys', () => {
  it('has nothing to check on the initial zkey', async () => {
    expect(await verifyContributionProofs(infos[0]!)).toEqual([]);
    expect(verifyHeaderDelta(infos[0]!)).toEqual({ ok: true });
  });

  it('accepts 1, 2 and 3 contributions and a beacon', async () => {
    for (let n = 1; n <= 3; n++) {
      expect(await verifyContributionProofs(infos[n]!)).toEqual(
        Array.from({ length: n }, (_, index) => ({ index, ok: true })),
      );
      expect(verifyHeaderDelta(infos[n]!)).toEqual({ ok: true });
    }
    expect(await oks(final)).toEqual([true, true, true, true]);
    expect(verifyHeaderDelta(final)).toEqual({ ok: true });
  });

  it('accepts an explicit initial delta equal to the initial zkey delta', async () => {
    const initialDelta = { delta1: infos[0]!.delta1, delta2: infos[0]!.delta2 };
    expect(await oks(infos[3]!)).toEqual([true, true, true]);
    expect(await verifyContributionProofs(infos[3]!, initialDelta)).toEqual(
      [0, 1, 2].map((index) => ({ index, ok: true })),
    );
    expect(verifyHeaderDelta(infos[3]!, initialDelta)).toEqual({ ok: true });
  });
});

describe('verifyContributionProofs catches tampering', () => {
  it('a flipped byte in g1_sx breaks that transcript', async () => {
    const checks = await verifyContributionProofs(
      edit(infos[3]!, 1, { g1Sx: flip(infos[3]!.contributions[1]!.g1Sx) }),
    );
    expect(checks[1]).toEqual({ index: 1, ok: false, reason: 'inconsistent transcript' });
    expect(checks[0]!.ok).toBe(true);
  });

  it('a flipped byte in the transcript fails that contribution', async () => {
    const c = infos[3]!.contributions[2]!;
    const checks = await verifyContributionProofs(edit(infos[3]!, 2, { transcript: flip(c.transcript) }));
    expect(checks.map((x) => x.ok)).toEqual([true, true, false]);
    expect(checks[2]!.reason).toBe('inconsistent transcript');
  });

  it('a flipped byte in g2_spx fails that contribution', async () => {
    const c = infos[3]!.contributions[0]!;
    const checks = await verifyContributionProofs(edit(infos[3]!, 0, { g2Spx: flip(c.g2Spx) }));
    expect(checks[0]!.ok).toBe(false);
    expect(checks[0]!.reason).toMatch(/invalid point|same ratio/);
  });

  it('a valid but foreign g2_spx fails the proof of knowledge', async () => {
    const foreign = infos[3]!.contributions[2]!.g2Spx;
    const checks = await verifyContributionProofs(edit(infos[3]!, 0, { g2Spx: foreign }));
    expect(checks[0]!.reason).toMatch(/proof of knowledge fails/);
  });

  it('a flipped byte in deltaAfter fails that contribution and the next transcript', async () => {
    const c = infos[3]!.contributions[1]!;
    const checks = await verifyContributionProofs(edit(infos[3]!, 1, { deltaAfter: flip(c.deltaAfter) }));
    expect(checks.map((x) => x.ok)).toEqual([true, false, false]);
    expect(checks[2]!.reason).toBe('inconsistent transcript');
  });

  it('a valid deltaAfter that skips the secret fails the delta check', async () => {
    const previous = infos[3]!.contributions[0]!.deltaAfter;
    const checks = await verifyContributionProofs(edit(infos[3]!, 1, { deltaAfter: previous }));
    expect(checks[1]!.reason).toMatch(/deltaAfter does not follow/);
  });

  it('a beacon with another iteration count or hash does not match its key', async () => {
    const b = final.contributions[3]!;
    const moreIterations = await verifyContributionProofs(edit(final, 3, { numIterationsExp: 11 }));
    expect(moreIterations[3]!.reason).toMatch(/beacon key does not match/);
    const otherHash = await verifyContributionProofs(edit(final, 3, { beaconHash: flip(b.beaconHash!, 0) }));
    expect(otherHash[3]!.reason).toMatch(/beacon key does not match/);
    const capped = await verifyContributionProofs(final, undefined, { maxBeaconIterationsExp: 9 });
    expect(capped[3]!.reason).toMatch(/exceeds the cap of 9/);
  });

  it('a header delta2 from another zkey fails verifyHeaderDelta', () => {
    expect(verifyHeaderDelta({ ...infos[2]!, delta2: infos[1]!.delta2 }).ok).toBe(false);
    expect(verifyHeaderDelta({ ...infos[2]!, delta1: infos[1]!.delta1 }).reason).toMatch(/last deltaAfter/);
  });

  it('agrees with snarkjs verifyFromInit (run by the runner) on a file with a foreign g2_spx', async () => {
    const dir = await makeTempDir();
    const s10 = infos[3]!.sections.find((s) => s.id === 10)!;
    const firstG2 = s10.offset + 68 + 192;
    const tampered = await writeEditedCopy(chain.contributions[2]!, dir, 'g2.zkey', (bytes) => {
      bytes.set(infos[3]!.contributions[2]!.g2Spx, firstG2);
      return bytes;
    });
    const snarkjsVerdict = await verifyFromInit(chain.init, chain.ptau, tampered);
    expect(snarkjsVerdict).toMatchObject({ ok: false, reason: expect.stringMatching(/INVALID\(0\)/) });
    expect((await oks(await readZkeyInfo(tampered)))[0]).toBe(false);
  });
});
