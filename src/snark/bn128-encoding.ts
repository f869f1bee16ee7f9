// bn128 (= BN254) primes and the byte encodings snarkjs uses. Points in zkey files are affine, each base-field
// coordinate 32 bytes little-endian in Montgomery form (x·2^256 mod q); hashes use big-endian normal form.

/** Base field prime q. */
export const BN128_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** Scalar field prime r (the group order). */
export const BN128_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export const G1_BYTES = 64;
export const G2_BYTES = 128;

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

const montgomeryR = (1n << 256n) % BN128_Q;
const montgomeryRInverse = modPow(montgomeryR, BN128_Q - 2n, BN128_Q);

/** Little-endian 32-byte integer at `offset`. */
export function readUint256LE(bytes: Uint8Array, offset: number): bigint {
  let value = 0n;
  for (let i = offset + 31; i >= offset; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/** The base-field element stored at `offset` (LE Montgomery); fails on a non-canonical encoding (≥ q). */
export function readFieldLEM(bytes: Uint8Array, offset: number): bigint {
  if (offset < 0 || offset + 32 > bytes.length)
    throw new RangeError(`readFieldLEM: offset ${offset} out of range`);
  const raw = readUint256LE(bytes, offset);
  if (raw >= BN128_Q) throw new RangeError('readFieldLEM: coordinate is not reduced modulo q');
  return (raw * montgomeryRInverse) % BN128_Q;
}

/** True when every 32-byte coordinate of the encoded point is below q. */
export function isCanonicalPoint(bytes: Uint8Array): boolean {
  if (bytes.length !== G1_BYTES && bytes.length !== G2_BYTES) return false;
  for (let offset = 0; offset < bytes.length; offset += 32) {
    if (readUint256LE(bytes, offset) >= BN128_Q) return false;
  }
  return true;
}

/**
 * snarkjs's `toRprUncompressed` of a G1 (64 bytes) or G2 (128 bytes) point given in file encoding: each
 * coordinate leaves Montgomery form and its bytes are reversed as a whole, so an Fp2 coordinate c0 + c1·u becomes
 * c1 (BE) ‖ c0 (BE). The point at infinity (all zero) stays all zero.
 */
export function toUncompressedBE(point: Uint8Array): Uint8Array {
  if (point.length !== G1_BYTES && point.length !== G2_BYTES) {
    throw new RangeError(`toUncompressedBE: expected 64 or 128 bytes, got ${point.length}`);
  }
  const out = new Uint8Array(point.length);
  const coordinateBytes = point.length / 2;
  for (let offset = 0; offset < point.length; offset += 32) {
    const value = readFieldLEM(point, offset);
    // Position of this element once its whole coordinate (32 or 64 bytes) is byte-reversed.
    const coordinateStart = offset - (offset % coordinateBytes);
    const mirrored = coordinateStart + coordinateBytes - (offset - coordinateStart) - 32;
    writeUint256BE(out, mirrored, value);
  }
  return out;
}

function writeUint256BE(out: Uint8Array, offset: number, value: bigint): void {
  let v = value;
  for (let i = offset + 31; i >= offset; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}
