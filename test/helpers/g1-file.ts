// G1 points in zkey file encoding (affine, little-endian Montgomery, 64 bytes; infinity is all zero), made with the
// same ffjavascript curve snarkjs uses, for tests that plant points in a zkey.
import { randomBytes } from 'node:crypto';
import type { SnarkjsCurve } from 'snarkjs';

/** k·G in file encoding; k = 0 gives the encoding of infinity. */
export function multipleOfGenerator(curve: SnarkjsCurve, k: bigint): Uint8Array {
  const scalar = new Uint8Array(32);
  for (let i = 0, v = k; i < 32; i++, v >>= 8n) scalar[i] = Number(v & 0xffn);
  const out = new Uint8Array(64);
  curve.G1.toRprLEM(out, 0, curve.G1.toAffine(curve.G1.timesScalar(curve.G1.g, scalar)));
  return out;
}

/** A random point of G1 in file encoding (k·G for a random 248-bit k, never infinity). */
export function randomG1(curve: SnarkjsCurve, random: () => Uint8Array = () => randomBytes(31)): Uint8Array {
  const bytes = random();
  let k = 1n;
  for (const b of bytes) k = (k << 8n) | BigInt(b);
  return multipleOfGenerator(curve, k);
}

/** p + q for two points in file encoding (either may be infinity). */
export function addG1(curve: SnarkjsCurve, p: Uint8Array, q: Uint8Array): Uint8Array {
  const sum = curve.G1.add(curve.G1.fromRprLEM(p, 0), curve.G1.fromRprLEM(q, 0));
  const out = new Uint8Array(64);
  curve.G1.toRprLEM(out, 0, curve.G1.toAffine(sum));
  return out;
}

/** −p in file encoding. */
export function negG1(curve: SnarkjsCurve, p: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  curve.G1.toRprLEM(out, 0, curve.G1.toAffine(curve.G1.neg(curve.G1.fromRprLEM(p, 0))));
  return out;
}
