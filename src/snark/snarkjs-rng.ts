// A pure-TypeScript copy of the deterministic sampling snarkjs uses to derive points from hashes, so that
// pok.ts can re-derive g2_sp (keypair.js hashToG2) and a beacon's key (misc.js rngFromBeaconParams) without
// snarkjs. Each step mirrors ffjavascript 0.3 / wasmcurves:
// - ChaCha (ffjavascript chacha.js): ChaCha20 block function, key = 8 seed words, counter in words 12..15
//   (nonce zero), 32-bit output words in order; nextU64 = hi·2^32 + lo taking hi first; nextBool = word & 1.
// - Field sampling (wasm_field1.fromRng): v = Σ nextU64()·2^(64i), i = 0..3, masked to 254 bits, redrawn while
//   v ≥ p; the bytes are taken as a Montgomery form, so the element is v·2^-256 mod p.
// - Point sampling (wasm_curve.fromRng): draw x, then a bool; repeat while x³ + b is not a square. y = √(x³ + b),
//   negated unless (y "negative") equals the bool, where negative means y > (p-1)/2 (for Fp2: of c1, or of c0
//   when c1 = 0). G2 points are then multiplied by the cofactor; G1 (cofactor 1) is not.

export class ChaChaRng {
  private readonly state = new Uint32Array(16);
  private readonly block = new Uint32Array(16);
  private index = 16;

  constructor(seed: readonly number[]) {
    if (seed.length !== 8) throw new TypeError(`ChaChaRng: seed must be 8 words, got ${seed.length}`);
    this.state.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, ...seed, 0, 0, 0, 0]);
  }

  /** The generator snarkjs seeds from a hash: its first 32 bytes as eight big-endian words. */
  static fromHash(hash: Uint8Array): ChaChaRng {
    if (hash.length < 32) throw new TypeError(`ChaChaRng.fromHash: need 32 bytes, got ${hash.length}`);
    const view = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
    return new ChaChaRng(Array.from({ length: 8 }, (_, i) => view.getUint32(i * 4, false)));
  }

  nextU32(): number {
    if (this.index === 16) this.refill();
    return this.block[this.index++]!;
  }

  nextU64(): bigint {
    const hi = BigInt(this.nextU32());
    return (hi << 32n) + BigInt(this.nextU32());
  }

  nextBool(): boolean {
    return (this.nextU32() & 1) === 1;
  }

  private refill(): void {
    const b = this.block;
    b.set(this.state);
    for (let i = 0; i < 10; i++) {
      quarterRound(b, 0, 4, 8, 12);
      quarterRound(b, 1, 5, 9, 13);
      quarterRound(b, 2, 6, 10, 14);
      quarterRound(b, 3, 7, 11, 15);
      quarterRound(b, 0, 5, 10, 15);
      quarterRound(b, 1, 6, 11, 12);
      quarterRound(b, 2, 7, 8, 13);
      quarterRound(b, 3, 4, 9, 14);
    }
    for (let i = 0; i < 16; i++) b[i] = b[i]! + this.state[i]!;
    this.index = 0;
    // 128-bit block counter in words 12..15, carried as ffjavascript does.
    for (let word = 12; word < 16; word++) {
      this.state[word] = this.state[word]! + 1;
      if (this.state[word] !== 0) break;
    }
  }
}

function rotl(x: number, n: number): number {
  return ((x << n) | (x >>> (32 - n))) >>> 0;
}

function quarterRound(s: Uint32Array, a: number, b: number, c: number, d: number): void {
  s[a] = s[a]! + s[b]!;
  s[d] = rotl(s[d]! ^ s[a]!, 16);
  s[c] = s[c]! + s[d]!;
  s[b] = rotl(s[b]! ^ s[c]!, 12);
  s[a] = s[a]! + s[b]!;
  s[d] = rotl(s[d]! ^ s[a]!, 8);
  s[c] = s[c]! + s[d]!;
  s[b] = rotl(s[b]! ^ s[c]!, 7);
}

const mask254 = (1n << 254n) - 1n;

/** wasm_field1.fromRng for a 254-bit prime p with 4 limbs; `montgomeryInverse` = 2^-256 mod p. */
export function sampleFieldElement(rng: ChaChaRng, p: bigint, montgomeryInverse: bigint): bigint {
  for (;;) {
    let v = 0n;
    for (let i = 0n; i < 4n; i++) v += rng.nextU64() << (64n * i);
    v &= mask254;
    if (v < p) return (v * montgomeryInverse) % p;
  }
}
