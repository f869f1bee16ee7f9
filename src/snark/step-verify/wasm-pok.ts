// The server's proof-of-knowledge and delta pairings on ffjavascript's WASM bn128 (= BN254), the curve the step
// verifier's multi-scalar products already run on: a pairing product takes milliseconds there, tens of them in
// @noble/curves. The auditor keeps @noble/curves (pok.ts nobleEngine), so its second opinion stays independent.
import { BN128_R, G1_BYTES, G2_BYTES, isCanonicalPoint } from '../bn128-encoding.js';
import type { PokEngine } from '../pok.js';
import { ChaChaRng } from '../snarkjs-rng.js';
import type { Curve } from './curve.js';

type Group = Curve['G1'];

// r as the little-endian bytes timesScalar takes: r·P is infinity exactly for P in the prime-order subgroup.
const orderBytes = (() => {
  const out = new Uint8Array(32);
  let v = BN128_R;
  for (let i = 0; i < 32; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
})();

const engines = new WeakMap<Curve, PokEngine<Uint8Array, Uint8Array>>();

/** The PokEngine of a snarkjs curve: points are ffjavascript buffers (affine or Jacobian, Montgomery LE). */
export function wasmPokEngine(curve: Curve): PokEngine<Uint8Array, Uint8Array> {
  if (!curve?.G1 || !curve.G2 || typeof curve.pairingEq !== 'function') {
    throw new TypeError('wasmPokEngine: expected a bn128 curve from getCurve');
  }
  let engine = engines.get(curve);
  if (!engine) {
    engine = {
      g1: curve.G1.g,
      g2: curve.G2.g,
      decodeG1: (bytes) => decodePoint(curve.G1, bytes, G1_BYTES, 'decodeG1', false),
      decodeG2: (bytes) => decodePoint(curve.G2, bytes, G2_BYTES, 'decodeG2', true),
      hashToG2: (hash) => curve.G2.fromRng(ChaChaRng.fromHash(hash)),
      sameRatio: (g1s, g1sx, g2s, g2sx) => {
        if ([g1s, g1sx].some((p) => curve.G1.isZero(p)) || [g2s, g2sx].some((p) => curve.G2.isZero(p))) {
          return false;
        }
        return curve.pairingEq(g1s, g2sx, curve.G1.neg(g1sx), g2s);
      },
    };
    engines.set(curve, engine);
  }
  return engine;
}

// The same refusals as bn128-points.ts decodeG1/decodeG2, so both engines turn away the same bytes.
function decodePoint(
  group: Group,
  bytes: Uint8Array,
  size: number,
  fn: string,
  subgroup: boolean,
): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== size) {
    throw new RangeError(`${fn}: expected ${size} bytes, got ${bytes?.length}`);
  }
  const point = bytes.slice();
  if (point.every((b) => b === 0)) return point;
  if (!isCanonicalPoint(point)) throw new RangeError(`${fn}: coordinate is not reduced modulo q`);
  if (!group.isValid(point)) throw new RangeError(`${fn}: point is not on the curve`);
  if (subgroup && !group.isZero(group.timesScalar(point, orderBytes))) {
    throw new RangeError(`${fn}: point is not in the prime-order subgroup`);
  }
  return point;
}
