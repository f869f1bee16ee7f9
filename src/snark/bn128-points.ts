// bn128 (= BN254) points with @noble/curves: decoding zkey point bytes, snarkjs's sameRatio pairing check, and
// snarkjs's deterministic point derivations (hashToG2, beacon keys) on top of snarkjs-rng.ts.
import { createHash } from 'node:crypto';
import { bn254 } from '@noble/curves/bn254.js';
import { BN128_Q, BN128_R, G1_BYTES, G2_BYTES, modPow, readFieldLEM } from './bn128-encoding.js';
import { ChaChaRng, sampleFieldElement } from './snarkjs-rng.js';

const { Fp, Fp2, Fp12 } = bn254.fields;
const G1 = bn254.G1.Point;
const G2 = bn254.G2.Point;
export type G1Point = InstanceType<typeof G1>;
export type G2Point = InstanceType<typeof G2>;
type Fp2Element = ReturnType<typeof Fp2.fromBigTuple>;

export const G1_GENERATOR: G1Point = G1.BASE;
export const G2_GENERATOR: G2Point = G2.BASE;

const inverseR256ModQ = modPow((1n << 256n) % BN128_Q, BN128_Q - 2n, BN128_Q);
const inverseR256ModR = modPow((1n << 256n) % BN128_R, BN128_R - 2n, BN128_R);
const halfQ = (BN128_Q - 1n) / 2n;
const twistB = Fp2.div(Fp2.fromBigTuple([3n, 0n]), Fp2.fromBigTuple([9n, 1n]));
// ffjavascript's cofactorG2 for bn128; snarkjs multiplies sampled G2 points by it as a plain scalar.
const g2Cofactor = 0x30644e72e131a029b85045b68181585e06ceecda572a2489345f2299c0f9fa8dn;

/** A G1 point from its 64 file bytes; throws when it is not on the curve. All-zero bytes are infinity. */
export function decodeG1(bytes: Uint8Array): G1Point {
  if (bytes.length !== G1_BYTES) throw new RangeError(`decodeG1: expected 64 bytes, got ${bytes.length}`);
  if (bytes.every((b) => b === 0)) return G1.ZERO;
  const point = G1.fromAffine({ x: readFieldLEM(bytes, 0), y: readFieldLEM(bytes, 32) });
  point.assertValidity();
  return point;
}

/** A G2 point from its 128 file bytes (x.c0, x.c1, y.c0, y.c1); throws unless it is in the prime-order subgroup. */
export function decodeG2(bytes: Uint8Array): G2Point {
  if (bytes.length !== G2_BYTES) throw new RangeError(`decodeG2: expected 128 bytes, got ${bytes.length}`);
  if (bytes.every((b) => b === 0)) return G2.ZERO;
  const x = Fp2.fromBigTuple([readFieldLEM(bytes, 0), readFieldLEM(bytes, 32)]);
  const y = Fp2.fromBigTuple([readFieldLEM(bytes, 64), readFieldLEM(bytes, 96)]);
  const point = G2.fromAffine({ x, y });
  point.assertValidity();
  return point;
}

/** snarkjs misc.sameRatio: e(g1s, g2sx) = e(g1sx, g2s), false when any point is infinity. */
export function sameRatio(g1s: G1Point, g1sx: G1Point, g2s: G2Point, g2sx: G2Point): boolean {
  if (g1s.is0() || g1sx.is0() || g2s.is0() || g2sx.is0()) return false;
  const product = bn254.pairingBatch([
    { g1: g1s, g2: g2sx },
    { g1: g1sx.negate(), g2: g2s },
  ]);
  return Fp12.eql(product, Fp12.ONE);
}

/** snarkjs keypair.hashToG2: ChaCha seeded from the first 32 bytes of `hash`, then G2.fromRng. */
export function hashToG2(hash: Uint8Array): G2Point {
  return sampleG2(ChaChaRng.fromHash(hash));
}

/**
 * The key a beacon contribution must carry (snarkjs zkey_beacon.js): ChaCha seeded from SHA-256 iterated
 * 2^iterationsExp times over the beacon hash, then prvKey = Fr.fromRng, g1_s = G1.fromRng, g1_sx = prvKey·g1_s.
 * Costs 2^iterationsExp hashes (about a second per 2^20); yields to the event loop every 2^16.
 */
export async function deriveBeaconKey(
  beaconHash: Uint8Array,
  iterationsExp: number,
): Promise<{ g1S: G1Point; g1Sx: G1Point }> {
  if (!Number.isInteger(iterationsExp) || iterationsExp < 0 || iterationsExp > 63) {
    throw new RangeError(`deriveBeaconKey: iterationsExp must be an integer in 0..63, got ${iterationsExp}`);
  }
  let digest: Uint8Array = beaconHash;
  for (let done = 0n, total = 1n << BigInt(iterationsExp); done < total; ) {
    const batch = total - done < 65536n ? Number(total - done) : 65536;
    for (let i = 0; i < batch; i++) digest = createHash('sha256').update(digest).digest();
    done += BigInt(batch);
    if (done < total) await new Promise((resolve) => setImmediate(resolve));
  }
  const rng = ChaChaRng.fromHash(digest);
  const prvKey = sampleFieldElement(rng, BN128_R, inverseR256ModR);
  const g1S = sampleG1(rng);
  return { g1S, g1Sx: g1S.multiply(prvKey) };
}

function sampleG1(rng: ChaChaRng): G1Point {
  for (;;) {
    const x = sampleFieldElement(rng, BN128_Q, inverseR256ModQ);
    const wantNegative = rng.nextBool();
    const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 3n);
    if (!isSquareFp(rhs)) continue;
    const root = Fp.sqrt(rhs);
    const y = root > halfQ === wantNegative ? root : Fp.neg(root);
    return G1.fromAffine({ x, y });
  }
}

function sampleG2(rng: ChaChaRng): G2Point {
  for (;;) {
    const x = Fp2.fromBigTuple([
      sampleFieldElement(rng, BN128_Q, inverseR256ModQ),
      sampleFieldElement(rng, BN128_Q, inverseR256ModQ),
    ]);
    const wantNegative = rng.nextBool();
    const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), twistB);
    if (!isSquareFp2(rhs)) continue;
    const root = Fp2.sqrt(rhs);
    const y = isNegativeFp2(root) === wantNegative ? root : Fp2.neg(root);
    return multiplyByScalar(G2.fromAffine({ x, y }), g2Cofactor);
  }
}

function isSquareFp(a: bigint): boolean {
  return a === 0n || Fp.pow(a, halfQ) === 1n;
}

// In Fp2 = Fp[u]/(u²+1), a is a square exactly when its norm c0² + c1² is a square in Fp.
function isSquareFp2(a: Fp2Element): boolean {
  return isSquareFp(Fp.add(Fp.sqr(a.c0), Fp.sqr(a.c1)));
}

// wasmcurves f2m_isNegative: the sign of c1, or of c0 when c1 is zero.
function isNegativeFp2(a: Fp2Element): boolean {
  return a.c1 === 0n ? a.c0 > halfQ : a.c1 > halfQ;
}

// noble refuses scalars ≥ r, and the cofactor is larger, so double-and-add by hand.
function multiplyByScalar(point: G2Point, scalar: bigint): G2Point {
  let result = G2.ZERO;
  for (let bit = BigInt(scalar.toString(2).length - 1); bit >= 0n; bit--) {
    result = result.double();
    if ((scalar >> bit) & 1n) result = result.add(point);
  }
  return result;
}
