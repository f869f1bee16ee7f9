// The bn128 (= BN254) curve of ffjavascript, the WASM code snarkjs itself runs: multi-scalar multiplication on its
// worker threads, pairings, and a point check fast enough for every L and H point of a zkey.
// It measured 25-30x faster than @noble/curves' pippenger here (docs/BENCHMARKS.md).
import * as snarkjs from 'snarkjs';
import { BN128_Q, G1_BYTES, readUint256LE } from '../bn128-encoding.js';

export type Curve = snarkjs.SnarkjsCurve;

/** What is wrong with one point of a chunk, by its index in the chunk. */
export interface PointProblem {
  index: number;
  problem: 'infinity' | 'off-curve' | 'non-canonical';
}

// Points are checked through a fixed window of the calling thread's WASM memory (which must never grow: ffjavascript
// keeps views on it), so a chunk is checked in slices of this many points.
const windowPoints = 4096;
const windows = new WeakMap<Curve, number>();
// The top 32 bits of q: a coordinate whose top word is below this is reduced without a full comparison.
const qTopWord = Number(BN128_Q >> 224n);

export function getCurve(): Promise<Curve> {
  return snarkjs.curves.getCurveFromName('bn128');
}

/**
 * Every point of `bytes` (affine G1, file encoding) that is not a canonical point on the curve, first problem per
 * point; infinity (all zero) is reported as such. bn128's G1 has cofactor 1, so on the curve means in the group.
 */
export function findPointProblems(curve: Curve, bytes: Uint8Array): PointProblem[] {
  if (!(bytes instanceof Uint8Array) || bytes.length % G1_BYTES !== 0) {
    throw new TypeError('findPointProblems: bytes must hold whole 64-byte G1 points');
  }
  const window = windowOf(curve);
  const inCurve = curve.tm.instance.exports.g1m_inCurveAffine!;
  const problems: PointProblem[] = [];
  const count = bytes.length / G1_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let first = 0; first < count; first += windowPoints) {
    const last = Math.min(count, first + windowPoints);
    curve.tm.u8.set(bytes.subarray(first * G1_BYTES, last * G1_BYTES), window);
    for (let i = first; i < last; i++) {
      const offset = i * G1_BYTES;
      if (!isReduced(view, bytes, offset) || !isReduced(view, bytes, offset + 32)) {
        problems.push({ index: i, problem: 'non-canonical' });
      } else if (inCurve(window + (i - first) * G1_BYTES) !== 1) {
        const zero = bytes.subarray(offset, offset + G1_BYTES).every((b) => b === 0);
        problems.push({ index: i, problem: zero ? 'infinity' : 'off-curve' });
      }
    }
  }
  return problems;
}

function isReduced(view: DataView, bytes: Uint8Array, offset: number): boolean {
  const top = view.getUint32(offset + 28, true);
  if (top < qTopWord) return true;
  return top === qTopWord && readUint256LE(bytes, offset) < BN128_Q;
}

function windowOf(curve: Curve): number {
  let window = windows.get(curve);
  if (window === undefined) {
    window = curve.tm.alloc(windowPoints * G1_BYTES);
    if (window + windowPoints * G1_BYTES > curve.tm.memory.buffer.byteLength) {
      throw new RangeError('findPointProblems: the curve has no room left for the point window');
    }
    windows.set(curve, window);
  }
  return window;
}

/** Σ scalarsᵢ·pointsᵢ (Jacobian result); scalars are `scalarBytes` little-endian bytes each. */
export function multiplyAndSum(curve: Curve, points: Uint8Array, scalars: Uint8Array): Promise<Uint8Array> {
  if (points.length === 0) return Promise.resolve(curve.G1.zero);
  return curve.G1.multiExpAffine(points, scalars);
}

/** e(a1, b1) = e(a2, b2) for G1 points a (any form) and G2 points b in file encoding. */
export function pairingsEqual(
  curve: Curve,
  a1: Uint8Array,
  b1File: Uint8Array,
  a2: Uint8Array,
  b2File: Uint8Array,
): Promise<boolean> {
  const b1 = curve.G2.fromRprLEM(b1File, 0);
  const b2 = curve.G2.fromRprLEM(b2File, 0);
  return curve.pairingEq(curve.G1.neg(a1), b1, a2, b2);
}
