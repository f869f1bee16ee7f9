import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChainVerdict, checkContributionChain } from '../../src/snark/contribution-chain.js';
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
let infos: ZkeyInfo[]; // infos[i] = zkey after i contributions
let beacon: ZkeyInfo;

beforeAll(async () => {
  chain = await buildZkeyChain({ contributions: 3, beacon: true });
  dir = await makeTempDir();
  infos = await Promise.all([chain.init, ...chain.contributions].map(readZkeyInfo));
  beacon = await readZkeyInfo(chain.beacon!);
});
afterAll(removeZkeyDirs);

function expectRefusal(verdict: ChainVerdict, code: string, message: RegExp): void {
  expect(verdict.ok).toBe(false);
  if (verdict.ok) return;
  expect(verdict.code).toBe(code);
  expect(verdict.message).toMatch(message);
}

// Overwrites the header's delta1/delta2 with those of another zkey of the same circuit.
async function withDeltaOf(source: string, donor: ZkeyInfo, name: string): Promise<ZkeyInfo> {
  const s2 = donor.sections.find((s) => s.id === 2)!;
  const path = await writeEditedCopy(source, dir, name, (bytes) => {
    bytes.set(donor.delta1, s2.offset + 468);
    bytes.set(donor.delta2, s2.offset + 532);
    return bytes;
  });
  return readZkeyInfo(path);
}

describe('checkContributionChain', () => {
  it('accepts each real snarkjs contribution on top of the previous zkey', () => {
    for (let i = 0; i < 3; i++) {
      const verdict = checkContributionChain(infos[i]!, infos[i + 1]!);
      expect(verdict.ok).toBe(true);
      if (verdict.ok) expect(verdict.contribution.contributionHash).toBe(chain.contributionHashes[i]);
    }
  });

  it('refuses a zkey of another circuit', async () => {
    const other = await buildZkeyChain({ circuit: 'affine-chain-300', contributions: 1 });
    const verdict = checkContributionChain(infos[0]!, await readZkeyInfo(other.contributions[0]!));
    expectRefusal(verdict, 'ZKEY_WRONG_CIRCUIT', /circuit hash differs/);
  });

  it('refuses the same circuit hash over a different header or section sizes', () => {
    const header = infos[1]!.headerWithoutDelta.slice();
    header[100] = header[100]! ^ 1;
    expectRefusal(
      checkContributionChain(infos[0]!, { ...infos[1]!, headerWithoutDelta: header }),
      'ZKEY_WRONG_CIRCUIT',
      /Groth16 header differs/,
    );
    const sections = infos[1]!.sections.map((s) => (s.id === 8 ? { ...s, size: s.size + 64 } : s));
    expectRefusal(
      checkContributionChain(infos[0]!, { ...infos[1]!, sections }),
      'ZKEY_WRONG_CIRCUIT',
      /section 8 has/,
    );
  });

  it('refuses the current zkey uploaded again', () => {
    expectRefusal(checkContributionChain(infos[2]!, infos[2]!), 'ZKEY_UNCHANGED', /adds no contribution/);
  });

  it('refuses a contribution built on an older zkey', async () => {
    const forkPath = join(dir, 'fork.zkey');
    await contributeOnto(chain.contributions[0]!, forkPath, 'mallory');
    const verdict = checkContributionChain(infos[2]!, await readZkeyInfo(forkPath));
    expectRefusal(verdict, 'ZKEY_NOT_EXTENDING', /contribution #2 \(bob\) differs.*older zkey/);
  });

  it('refuses an older zkey (fewer contributions)', () => {
    expectRefusal(checkContributionChain(infos[2]!, infos[1]!), 'ZKEY_NOT_EXTENDING', /has 1 contributions/);
  });

  it('refuses a zkey that renames an earlier contributor', async () => {
    const s10 = infos[3]!.sections.find((s) => s.id === 10)!;
    const nameAt = s10.offset + 68 + 392 + 2; // first entry: fixed part, then tag 1, length, "alice"
    const renamed = await writeEditedCopy(chain.contributions[2]!, dir, 'renamed.zkey', (bytes) => {
      bytes.set(new TextEncoder().encode('ALICE'), nameAt);
      return bytes;
    });
    const info = await readZkeyInfo(renamed);
    expect(info.contributions[0]!.name).toBe('ALICE');
    expectRefusal(
      checkContributionChain(infos[2]!, info),
      'ZKEY_NOT_EXTENDING',
      /#1 \(alice\) was rewritten/,
    );
  });

  it('refuses two contributions at once', () => {
    expectRefusal(checkContributionChain(infos[1]!, infos[3]!), 'ZKEY_MULTIPLE_CONTRIBUTIONS', /adds 2/);
  });

  it('refuses a beacon from a participant', () => {
    expectRefusal(checkContributionChain(infos[3]!, beacon), 'ZKEY_BEACON_FROM_PARTICIPANT', /beacon/);
  });

  it('refuses a new entry that left delta unchanged', async () => {
    const info = await withDeltaOf(chain.contributions[1]!, infos[1]!, 'same-delta.zkey');
    expectRefusal(checkContributionChain(infos[1]!, info), 'ZKEY_UNCHANGED', /delta is the same/);
  });

  it("refuses a delta that is not the new entry's deltaAfter", async () => {
    const info = await withDeltaOf(chain.contributions[1]!, infos[3]!, 'other-delta.zkey');
    expectRefusal(checkContributionChain(infos[1]!, info), 'ZKEY_HEADER_MISMATCH', /deltaAfter/);
  });

  it('asserts its inputs', () => {
    expect(() => checkContributionChain(null as unknown as ZkeyInfo, infos[0]!)).toThrow(
      /checkContributionChain/,
    );
  });
});
