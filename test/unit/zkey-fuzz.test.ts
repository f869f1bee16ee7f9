// Random mutations of a real zkey: the parser answers with a named error or a parse, never a crash or a hang.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCeremonyError } from '../../src/errors.js';
import { checkContributionChain } from '../../src/snark/contribution-chain.js';
import { readZkeyInfo, type ZkeyInfo } from '../../src/snark/zkey-file.js';
import { buildZkeyChain, makeTempDir, removeZkeyDirs } from '../helpers/zkeys.js';

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'word'; at: number; value: number }
  | { kind: 'truncate'; length: number };

function applyMutations(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(original);
  for (const m of mutations) {
    if (m.kind === 'truncate') bytes = bytes.slice(0, m.length % (bytes.length + 1));
    else if (bytes.length === 0) continue;
    else if (m.kind === 'flip') {
      const at = m.at % bytes.length;
      bytes[at] = (bytes[at] ?? 0) ^ (m.xor || 1);
    } else if (bytes.length >= 4) {
      const at = m.at % (bytes.length - 3);
      new DataView(bytes.buffer).setUint32(at, m.value >>> 0, true);
    }
  }
  return bytes;
}

describe('the zkey parser under random mutations', () => {
  let original: Uint8Array;
  let previous: ZkeyInfo;
  let dir: string;
  beforeAll(async () => {
    const chain = await buildZkeyChain({ circuit: 'affine-chain-300', contributions: 1 });
    const latest = chain.contributions[0];
    if (!latest) throw new Error('no contribution built');
    original = new Uint8Array(await readFile(latest));
    previous = await readZkeyInfo(chain.init);
    dir = await makeTempDir();
  }, 120_000);
  afterAll(async () => {
    await removeZkeyDirs();
  });

  it('parses or refuses with INVALID_ZKEY, and a parse goes through the chain check without throwing', async () => {
    // Most of the parser's decisions sit in the section table and header (the start) and section 10 (the end).
    const position = fc.oneof(
      fc.nat({ max: 1024 }),
      fc.nat({ max: 4096 }).map((n) => original.length - 1 - n),
      fc.nat(),
    );
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: position, xor: fc.nat({ max: 255 }) }),
      fc.record({
        kind: fc.constant('word' as const),
        at: position,
        value: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff, 11, 10), fc.nat()),
      }),
      fc.record({ kind: fc.constant('truncate' as const), length: position }),
    );
    let index = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        const path = join(dir, `mutant-${index++ % 4}.zkey`);
        await writeFile(path, applyMutations(original, mutations));
        try {
          const info = await readZkeyInfo(path);
          const verdict = checkContributionChain(previous, info);
          expect(typeof verdict.ok).toBe('boolean');
        } catch (err) {
          expect(isCeremonyError(err), String(err)).toBe(true);
          if (isCeremonyError(err)) expect(err.code).toBe('INVALID_ZKEY');
        }
      }),
      { numRuns: 300 },
    );
  });
});
