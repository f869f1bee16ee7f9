import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/hex.js';
import { CeremonyError } from '../../src/errors.js';
import { contributionHashOf, readZkeyInfo, type ZkeyInfo } from '../../src/snark/zkey-file.js';
import {
  beaconHex,
  buildZkeyChain,
  fixturePath,
  makeTempDir,
  removeZkeyDirs,
  writeEditedCopy,
  type ZkeyChain,
} from '../helpers/zkeys.js';

let chain: ZkeyChain;
let dir: string;
let last: ZkeyInfo;

beforeAll(async () => {
  chain = await buildZkeyChain({ contributions: 3, beacon: true });
  dir = await makeTempDir();
  last = await readZkeyInfo(chain.contributions[2]!);
});
afterAll(removeZkeyDirs);

async function expectInvalid(path: string, message: RegExp): Promise<void> {
  const err = await readZkeyInfo(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CeremonyError);
  expect((err as CeremonyError).code).toBe('INVALID_ZKEY');
  expect((err as CeremonyError).message).toMatch(message);
}

function section(info: ZkeyInfo, id: number) {
  return info.sections.find((s) => s.id === id)!;
}

function setU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(offset, value, true);
  return bytes;
}

describe('readZkeyInfo on real snarkjs zkeys', () => {
  it('reads the header of the initial zkey of mulchain-1021', async () => {
    const info = await readZkeyInfo(chain.init);
    expect(info).toMatchObject({ nVars: 1023, nPublic: 2, domainSize: 1024, power: 10, contributions: [] });
    expect(info.fileSize).toBe((await stat(chain.init)).size);
    expect(info.sections.map((s) => s.id).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(toHex(info.circuitHash)).toBe(chain.circuitHash);
    expect(info.delta1).toHaveLength(64);
    expect(info.delta2).toHaveLength(128);
  });

  it('gives the contribution hashes snarkjs returned, with names and types', async () => {
    expect(last.contributions.map((c) => c.contributionHash)).toEqual(chain.contributionHashes);
    expect(last.contributions.map((c) => [c.name, c.type])).toEqual([
      ['alice', 0],
      ['bob', 0],
      ['carol', 0],
    ]);
    for (const c of last.contributions) expect(contributionHashOf(c)).toBe(c.contributionHash);
  });

  it('reads the beacon entry with its parameters and hash', async () => {
    const info = await readZkeyInfo(chain.beacon!);
    const beacon = info.contributions[3]!;
    expect(beacon).toMatchObject({ type: 1, name: 'final beacon', numIterationsExp: 10 });
    expect(toHex(beacon.beaconHash!)).toBe(beaconHex);
    expect(beacon.contributionHash).toBe(chain.beaconContributionHash);
  });

  it('keeps the exact section 10 bytes of each entry', async () => {
    const file = new Uint8Array(await readFile(chain.contributions[2]!));
    const s10 = section(last, 10);
    const entries = Buffer.concat(last.contributions.map((c) => c.raw));
    expect(Buffer.from(file.subarray(s10.offset + 68, s10.offset + s10.size)).equals(entries)).toBe(true);
  });

  it('has the same header without delta for every zkey of the circuit, and delta1 = last deltaAfter', async () => {
    const init = await readZkeyInfo(chain.init);
    expect(Buffer.from(last.headerWithoutDelta).equals(init.headerWithoutDelta)).toBe(true);
    expect(Buffer.from(last.delta1).equals(init.delta1)).toBe(false);
    expect(Buffer.from(last.delta1).equals(last.contributions[2]!.deltaAfter)).toBe(true);
  });

  it('refuses malformed input to contributionHashOf', () => {
    const c = last.contributions[0]!;
    expect(() => contributionHashOf({ ...c, g2Spx: c.g2Spx.subarray(0, 64) })).toThrow(
      /contributionHashOf: g2Spx/,
    );
    expect(() => contributionHashOf({ ...c, transcript: new Uint8Array(3) })).toThrow(/contributionHashOf/);
  });
});

describe('readZkeyInfo refuses broken files with INVALID_ZKEY', () => {
  it('refuses other file types and tiny files', async () => {
    await expectInvalid(fixturePath('mulchain-1021.r1cs'), /not a zkey file/);
    const tiny = await writeEditedCopy(chain.init, dir, 'tiny.zkey', (b) => b.subarray(0, 5));
    await expectInvalid(tiny, /not a zkey file/);
  });

  it('refuses another version and another protocol', async () => {
    const v2 = await writeEditedCopy(chain.init, dir, 'v2.zkey', (b) => setU32(b, 4, 2));
    await expectInvalid(v2, /unsupported zkey version 2/);
    const plonk = await writeEditedCopy(chain.init, dir, 'plonk.zkey', (b) => setU32(b, 24, 2));
    await expectInvalid(plonk, /not a Groth16 zkey/);
  });

  it('refuses truncated files and appended bytes', async () => {
    const cut = await writeEditedCopy(chain.contributions[2]!, dir, 'cut.zkey', (b) =>
      b.subarray(0, b.length - 100),
    );
    await expectInvalid(cut, /section 10 is truncated/);
    const padded = await writeEditedCopy(chain.init, dir, 'pad.zkey', (b) =>
      Buffer.concat([b, Buffer.alloc(7)]),
    );
    await expectInvalid(padded, /7 bytes after its last section/);
  });

  it('refuses duplicate, unknown and missing sections', async () => {
    const init = await readZkeyInfo(chain.init);
    const header9 = section(init, 9).offset - 12;
    const dup = await writeEditedCopy(chain.init, dir, 'dup.zkey', (b) => setU32(b, header9, 8));
    await expectInvalid(dup, /section 8 appears 2 times/);
    const unknown = await writeEditedCopy(chain.init, dir, 'unknown.zkey', (b) => setU32(b, header9, 11));
    await expectInvalid(unknown, /unexpected section 11/);
    const s9 = section(init, 9);
    const missing = await writeEditedCopy(chain.init, dir, 'missing.zkey', (b) =>
      setU32(Buffer.concat([b.subarray(0, header9), b.subarray(s9.offset + s9.size)]), 8, 9),
    );
    await expectInvalid(missing, /section 9 is missing/);
  });

  it('refuses sections whose size does not follow from the header', async () => {
    const nVarsAt = section(last, 2).offset + 72;
    const edited = await writeEditedCopy(chain.init, dir, 'nvars.zkey', (b) => setU32(b, nVarsAt, 1024));
    await expectInvalid(edited, /A section \(5\) has 65472 bytes, the header implies 65536/);
  });

  it('refuses a zkey over another curve', async () => {
    const qAt = section(last, 2).offset + 4;
    const other = await writeEditedCopy(chain.init, dir, 'curve.zkey', (b) => {
      b[qAt] = b[qAt]! ^ 1;
      return b;
    });
    await expectInvalid(other, /not over bn128/);
  });

  it('refuses malformed contribution entries', async () => {
    const s10 = section(last, 10);
    const first = s10.offset + 68;
    const source = chain.contributions[2]!;
    const count = await writeEditedCopy(source, dir, 'count.zkey', (b) => setU32(b, s10.offset + 64, 4));
    await expectInvalid(count, /contribution 3 is truncated/);
    const type = await writeEditedCopy(source, dir, 'type.zkey', (b) => setU32(b, first + 384, 7));
    await expectInvalid(type, /contribution 0 has unknown type 7/);
    const tag = await writeEditedCopy(source, dir, 'tag.zkey', (b) => {
      b[first + 392] = 9;
      return b;
    });
    await expectInvalid(tag, /unknown parameter tag 9/);
    const length = await writeEditedCopy(source, dir, 'plen.zkey', (b) => setU32(b, first + 388, 200));
    await expectInvalid(length, /parameter|truncated|extra bytes/);
    const beaconNoParams = await writeEditedCopy(source, dir, 'beacon-type.zkey', (b) =>
      setU32(b, first + 384, 1),
    );
    await expectInvalid(beaconNoParams, /beacon contribution 0 lacks/);
    const bigCoordinate = await writeEditedCopy(source, dir, 'coord.zkey', (b) => {
      b.fill(0xff, first + 64, first + 96);
      return b;
    });
    await expectInvalid(bigCoordinate, /not reduced modulo q/);
  });
});
