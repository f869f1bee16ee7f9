// The step verifier's proof-of-knowledge and delta pairings on ffjavascript's WASM curve (wasm-pok.ts): they refuse
// a wrong proof of knowledge and a wrong delta, in a file and alone, and they agree with the @noble/curves engine the
// auditor runs (pok.ts nobleEngine) on random valid and invalid points, hashes and tampered contribution records.
import { bn254 } from '@noble/curves/bn254.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BN128_Q, BN128_R, G1_BYTES, G2_BYTES } from '../../src/snark/bn128-encoding.js';
import type { G1Point, G2Point } from '../../src/snark/bn128-points.js';
import {
  nobleEngine,
  type PokEngine,
  verifyDeltaPair,
  verifyLastContributionProof,
} from '../../src/snark/pok.js';
import { type Curve, getCurve } from '../../src/snark/step-verify/curve.js';
import { verifyStep } from '../../src/snark/step-verify/step-verifier.js';
import { wasmPokEngine } from '../../src/snark/step-verify/wasm-pok.js';
import { readZkeyInfo, type ZkeyContribution, type ZkeyInfo } from '../../src/snark/zkey-file.js';
import {
  buildZkeyChain,
  makeTempDir,
  removeZkeyDirs,
  writeEditedCopy,
  type ZkeyChain,
} from '../helpers/zkeys.js';

const { Fp2 } = bn254.fields;
const G1 = bn254.G1.Point;
const G2 = bn254.G2.Point;
// y² = x³ + 3/(9 + u): the twist G2 lives on; most of its points are outside the prime-order subgroup.
const twistB = Fp2.div(Fp2.fromBigTuple([3n, 0n]), Fp2.fromBigTuple([9n, 1n]));

let chain: ZkeyChain;
let dir: string;
let curve: Curve;
let wasm: PokEngine<Uint8Array, Uint8Array>;
let prev: ZkeyInfo; // after one contribution: the accepted zkey
let next: ZkeyInfo; // after two: the upload under check

beforeAll(async () => {
  chain = await buildZkeyChain({ contributions: 2 });
  dir = await makeTempDir();
  curve = await getCurve();
  wasm = wasmPokEngine(curve);
  prev = await readZkeyInfo(chain.contributions[0]!);
  next = await readZkeyInfo(chain.contributions[1]!);
}, 120_000);
afterAll(removeZkeyDirs);

function writeFieldLEM(out: Uint8Array, offset: number, value: bigint): void {
  let v = (value << 256n) % BN128_Q;
  for (let i = 0; i < 32; i++, v >>= 8n) out[offset + i] = Number(v & 0xffn);
}

function encodeG1(p: G1Point): Uint8Array {
  const out = new Uint8Array(G1_BYTES);
  if (p.is0()) return out;
  const { x, y } = p.toAffine();
  writeFieldLEM(out, 0, x);
  writeFieldLEM(out, 32, y);
  return out;
}

function encodeG2(p: G2Point): Uint8Array {
  const out = new Uint8Array(G2_BYTES);
  if (p.is0()) return out;
  const { x, y } = p.toAffine();
  for (const [i, v] of [x.c0, x.c1, y.c0, y.c1].entries()) writeFieldLEM(out, i * 32, v);
  return out;
}

// A point of the WASM engine back to file bytes, to compare with the noble engine's.
function wasmBytes(p: Uint8Array, g2: boolean): Uint8Array {
  const group = g2 ? curve.G2 : curve.G1;
  const out = new Uint8Array(g2 ? G2_BYTES : G1_BYTES);
  if (!group.isZero(p)) group.toRprLEM(out, 0, p);
  return out;
}

/** A point on the twist (x from `seed`), almost surely not in G2's prime-order subgroup. */
function twistPoint(seed: bigint): Uint8Array {
  for (let x0 = seed % BN128_Q; ; x0++) {
    const x = Fp2.fromBigTuple([x0, 1n]);
    const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), twistB);
    let y: typeof x;
    try {
      y = Fp2.sqrt(rhs);
    } catch {
      continue;
    }
    const out = new Uint8Array(G2_BYTES);
    for (const [i, v] of [x.c0, x.c1, y.c0, y.c1].entries()) writeFieldLEM(out, i * 32, v);
    return out;
  }
}

/** Both engines accept the bytes as the same point, or both refuse them. */
function decodeBoth(bytes: Uint8Array, g2: boolean): { ok: boolean } {
  const attempt = <T>(f: () => T): { ok: true; value: T } | { ok: false } => {
    try {
      return { ok: true, value: f() };
    } catch {
      return { ok: false };
    }
  };
  const noble = attempt(() =>
    g2 ? encodeG2(nobleEngine.decodeG2(bytes)) : encodeG1(nobleEngine.decodeG1(bytes)),
  );
  const ours = attempt(() => wasmBytes(g2 ? wasm.decodeG2(bytes) : wasm.decodeG1(bytes), g2));
  expect(ours.ok).toBe(noble.ok);
  if (ours.ok && noble.ok) expect(ours.value).toEqual(noble.value);
  return { ok: noble.ok };
}

function flipBit(bytes: Uint8Array, at: number): void {
  const i = at % bytes.length;
  bytes[i] = bytes[i]! ^ (1 << (at % 8));
}

const scalar = fc.bigInt({ min: 1n, max: BN128_R - 1n });

function locate(info: ZkeyInfo, section: number, bytes: Uint8Array, file: Uint8Array): number {
  const s = info.sections.find((x) => x.id === section)!;
  const at = Buffer.from(file.subarray(s.offset, s.offset + s.size)).indexOf(Buffer.from(bytes));
  if (at < 0) throw new Error(`bytes not found in section ${section}`);
  return s.offset + at;
}

describe('the WASM pairings refuse what they must', () => {
  it('refuses an upload whose proof of knowledge is wrong: a valid g2_spx of another contribution', async () => {
    const last = next.contributions[1]!;
    const foreign = next.contributions[0]!.g2Spx;
    const path = await writeEditedCopy(chain.contributions[1]!, dir, 'foreign-g2spx.zkey', (bytes) => {
      bytes.set(foreign, locate(next, 10, last.g2Spx, bytes));
      return bytes;
    });
    const verdict = await verifyStep(chain.contributions[0]!, path);
    expect(verdict).toMatchObject({ ok: false, code: 'ZKEY_VERIFICATION_FAILED' });
    if (!verdict.ok) expect(verdict.message).toMatch(/contribution #2: proof of knowledge fails/);
  });

  it('refuses an upload whose delta2 is a valid point of another exponent than delta1', async () => {
    const path = await writeEditedCopy(chain.contributions[1]!, dir, 'other-delta2.zkey', (bytes) => {
      bytes.set(encodeG2(G2.BASE.multiply(12345n)), locate(next, 2, next.delta2, bytes));
      return bytes;
    });
    const verdict = await verifyStep(chain.contributions[0]!, path);
    expect(verdict).toMatchObject({ ok: false, code: 'ZKEY_VERIFICATION_FAILED' });
    if (!verdict.ok) expect(verdict.message).toBe('delta1 and delta2 do not have the same ratio');
  });

  it('accepts the honest upload, and the honest record and delta alone', async () => {
    expect((await verifyStep(chain.contributions[0]!, chain.contributions[1]!)).ok).toBe(true);
    expect(await verifyLastContributionProof(wasm, next, prev.delta1)).toEqual({ index: 1, ok: true });
    expect(await verifyDeltaPair(wasm, next.delta1, next.delta2)).toEqual({ ok: true });
  });

  it('refuses a record whose deltaAfter skips the secret, and a delta2 off the subgroup', async () => {
    const skipped = edited(next, { deltaAfter: prev.delta1 });
    expect(await verifyLastContributionProof(wasm, skipped, prev.delta1)).toEqual({
      index: 1,
      ok: false,
      reason: 'deltaAfter does not follow the previous delta with this public key',
    });
    const pair = await verifyDeltaPair(wasm, next.delta1, twistPoint(7n));
    expect(pair).toEqual({
      ok: false,
      reason: 'delta is not a valid point: decodeG2: point is not in the prime-order subgroup',
    });
  });
});

function edited(info: ZkeyInfo, change: Partial<ZkeyContribution>): ZkeyInfo {
  const contributions = info.contributions.map((c, i, all) =>
    i === all.length - 1 ? { ...c, ...change } : c,
  );
  return { ...info, contributions };
}

describe('the WASM engine agrees with @noble/curves (the auditor’s)', () => {
  it('on sameRatio over random points, with equal and unequal ratios and infinity', async () => {
    await fc.assert(
      fc.asyncProperty(
        scalar,
        scalar,
        scalar,
        fc.option(scalar, { nil: undefined }),
        fc.integer({ min: -1, max: 3 }),
        async (k1, k2, s, other, zeroAt) => {
          const t = other ?? s;
          const points = [G1.BASE.multiply(k1), G1.BASE.multiply((k1 * s) % BN128_R)] as G1Point[];
          const twists = [G2.BASE.multiply(k2), G2.BASE.multiply((k2 * t) % BN128_R)] as G2Point[];
          if (zeroAt === 0 || zeroAt === 1) points[zeroAt] = G1.ZERO;
          if (zeroAt === 2 || zeroAt === 3) twists[zeroAt - 2] = G2.ZERO;
          const g1 = points.map(encodeG1);
          const g2 = twists.map(encodeG2);
          const expected = nobleEngine.sameRatio(
            nobleEngine.decodeG1(g1[0]!),
            nobleEngine.decodeG1(g1[1]!),
            nobleEngine.decodeG2(g2[0]!),
            nobleEngine.decodeG2(g2[1]!),
          );
          const ours = await wasm.sameRatio(
            wasm.decodeG1(g1[0]!),
            wasm.decodeG1(g1[1]!),
            wasm.decodeG2(g2[0]!),
            wasm.decodeG2(g2[1]!),
          );
          expect(ours).toBe(expected);
          expect(expected).toBe(zeroAt < 0 && t === s);
        },
      ),
      { numRuns: 24 },
    );
  });

  it('on decoding random valid, bit-flipped, non-canonical, zero and off-subgroup points', () => {
    const mutation = fc.constantFrom('none', 'flip', 'unreduced', 'zero', 'twist');
    fc.assert(
      fc.property(scalar, fc.boolean(), mutation, fc.nat(), (k, g2, change, at) => {
        const bytes = g2 ? encodeG2(G2.BASE.multiply(k)) : encodeG1(G1.BASE.multiply(k));
        if (change === 'flip') flipBit(bytes, at);
        if (change === 'zero') bytes.fill(0);
        if (change === 'twist' && g2) bytes.set(twistPoint(k));
        if (change === 'unreduced') {
          // The same coordinate plus q, when that still fits in 256 bits: another encoding of the same number.
          const slot = (at % (bytes.length / 32)) * 32;
          let v = 0n;
          for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(bytes[slot + i]!);
          v += BN128_Q;
          if (v < 1n << 256n) for (let i = 0; i < 32; i++, v >>= 8n) bytes[slot + i] = Number(v & 0xffn);
        }
        const { ok } = decodeBoth(bytes, g2);
        if (change === 'none' || change === 'zero') expect(ok).toBe(true);
        if (change === 'twist' && g2) expect(ok).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('on hashToG2 of random transcripts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (hash) => {
        expect(wasmBytes(wasm.hashToG2(hash), true)).toEqual(encodeG2(nobleEngine.hashToG2(hash)));
      }),
      { numRuns: 12 },
    );
  });

  it('on the whole proof-of-knowledge and delta rules over randomly tampered records', async () => {
    const fields = ['g1S', 'g1Sx', 'g2Spx', 'deltaAfter', 'transcript', 'delta2'] as const;
    const kind = fc.constantFrom('none', 'flip', 'foreign', 'random');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), kind, fc.nat(), scalar, async (field, change, at, k) => {
        const last = next.contributions[1]!;
        const original = field === 'delta2' ? next.delta2 : last[field];
        let value: Uint8Array = original.slice();
        if (change === 'flip') flipBit(value, at);
        if (change === 'foreign') {
          value = field === 'delta2' ? prev.delta2 : next.contributions[0]![field];
        }
        if (change === 'random') {
          if (field === 'transcript') value = new Uint8Array(64).map((_, i) => (at + i * 131) & 0xff);
          else if (original.length === G2_BYTES) value = encodeG2(G2.BASE.multiply(k));
          else value = encodeG1(G1.BASE.multiply(k));
        }
        const info = field === 'delta2' ? { ...next, delta2: value } : edited(next, { [field]: value });
        const strip = (r: { ok: boolean; reason?: string }) => ({ ok: r.ok, why: r.reason?.split(':')[0] });
        const [noblePok, ours] = await Promise.all([
          verifyLastContributionProof(nobleEngine, info, prev.delta1),
          verifyLastContributionProof(wasm, info, prev.delta1),
        ]);
        expect(strip(ours)).toEqual(strip(noblePok));
        const noblePair = await verifyDeltaPair(nobleEngine, info.delta1, info.delta2);
        const ourPair = await verifyDeltaPair(wasm, info.delta1, info.delta2);
        expect(strip(ourPair)).toEqual(strip(noblePair));
        if (change === 'none') expect(ours.ok && ourPair.ok).toBe(true);
        if (change === 'foreign') expect(ours.ok && ourPair.ok).toBe(false);
      }),
      { numRuns: 40 },
    );
  });
});
