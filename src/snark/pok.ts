// An independent re-check, with @noble/curves instead of snarkjs, of each contribution's proof of knowledge,
// exactly as snarkjs's zkey_verify_frominit.js does it:
// 1. transcript = BLAKE2b-512(circuit hash ‖ pubkeys of all earlier contributions ‖ g1_s ‖ g1_sx);
// 2. g2_sp = hashToG2(transcript); sameRatio(g1_s, g1_sx, g2_sp, g2_spx) — the contributor knows its secret;
// 3. sameRatio(previous delta, deltaAfter, g2_sp, g2_spx) — delta was multiplied by that same secret;
// 4. for a beacon, g1_s and g1_sx equal the key re-derived from the beacon hash and iteration count.
// The chain starts at delta = the G1 generator, which is what `zkey new` writes and verifyFromInit assumes.
// The rule runs on a PokEngine: @noble/curves for the auditor (`ceremony verify`), ffjavascript's WASM curve for the
// server's step verifier (step-verify/wasm-pok.ts), so the auditor's arithmetic stays independent of the server's.
import { equalBytes } from '@noble/curves/utils.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { toUncompressedBE } from './bn128-encoding.js';
import {
  decodeG1,
  decodeG2,
  deriveBeaconKey,
  G1_GENERATOR,
  type G1Point,
  G2_GENERATOR,
  type G2Point,
  hashToG2,
  sameRatio,
} from './bn128-points.js';
import { hashPublicKey, type ZkeyContribution, type ZkeyInfo } from './zkey-parse.js';

/** The curve arithmetic under the proof-of-knowledge and delta rules; G1 and G2 are the engine's point types. */
export interface PokEngine<G1, G2> {
  readonly g1: G1;
  readonly g2: G2;
  /** The G1 point of 64 file bytes; throws unless canonical and on the curve. All-zero bytes are infinity. */
  decodeG1(bytes: Uint8Array): G1;
  /** The G2 point of 128 file bytes; throws unless canonical and in the prime-order subgroup. */
  decodeG2(bytes: Uint8Array): G2;
  /** snarkjs keypair.hashToG2. */
  hashToG2(hash: Uint8Array): G2;
  /** snarkjs misc.sameRatio: e(g1s, g2sx) = e(g1sx, g2s), false when any point is infinity. */
  sameRatio(g1s: G1, g1sx: G1, g2s: G2, g2sx: G2): boolean | Promise<boolean>;
}

/** @noble/curves, pure TypeScript: the auditor's engine. */
export const nobleEngine: PokEngine<G1Point, G2Point> = {
  g1: G1_GENERATOR,
  g2: G2_GENERATOR,
  decodeG1,
  decodeG2,
  hashToG2,
  sameRatio,
};

export interface PokCheck {
  /** 0-based position in the zkey's contribution list. */
  index: number;
  ok: boolean;
  reason?: string;
}

export interface PokOptions {
  /** Beacons with more SHA-256 iterations than 2^this are refused instead of recomputed (default 32). */
  maxBeaconIterationsExp?: number;
}

/** delta1/delta2 (file bytes) before the first contribution; omit for a chain starting at `zkey new`. */
export interface InitialDelta {
  delta1: Uint8Array;
  delta2: Uint8Array;
}

export async function verifyContributionProofs(
  info: ZkeyInfo,
  initialDelta?: InitialDelta,
  options: PokOptions = {},
): Promise<PokCheck[]> {
  assertInfo(info, 'verifyContributionProofs');
  const maxExp = options.maxBeaconIterationsExp ?? 32;
  const accumulated = blake2b.create({ dkLen: 64 });
  accumulated.update(info.circuitHash);
  let previousDelta: G1Point = G1_GENERATOR;
  if (initialDelta) {
    const start = tryDecodeG1(nobleEngine, initialDelta.delta1);
    if (!start) throw new TypeError('verifyContributionProofs: initialDelta.delta1 is not a valid G1 point');
    previousDelta = start;
  }
  const checks: PokCheck[] = [];
  for (const [index, c] of info.contributions.entries()) {
    const expectedTranscript = accumulated
      .clone()
      .update(toUncompressedBE(c.g1S))
      .update(toUncompressedBE(c.g1Sx))
      .digest();
    const reason = await checkContribution(nobleEngine, c, expectedTranscript, previousDelta, maxExp);
    checks.push(reason ? { index, ok: false, reason } : { index, ok: true });
    hashPublicKey(accumulated, c);
    previousDelta = tryDecodeG1(nobleEngine, c.deltaAfter) ?? previousDelta;
    // Pairings take tens of milliseconds each: let other work run between contributions.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return checks;
}

/**
 * The proof of knowledge of the last contribution alone, when the earlier ones are those of an accepted zkey whose
 * delta1 was `previousDelta1` (file bytes): its transcript still covers every earlier public key.
 */
export async function verifyLastContributionProof<G1, G2>(
  engine: PokEngine<G1, G2>,
  info: ZkeyInfo,
  previousDelta1: Uint8Array,
  options: PokOptions = {},
): Promise<PokCheck> {
  assertInfo(info, 'verifyLastContributionProof');
  const index = info.contributions.length - 1;
  const last = info.contributions[index];
  if (!last) throw new TypeError('verifyLastContributionProof: the zkey has no contribution');
  const previousDelta = tryDecodeG1(engine, previousDelta1);
  if (!previousDelta)
    throw new TypeError('verifyLastContributionProof: previousDelta1 is not a valid G1 point');
  const accumulated = blake2b.create({ dkLen: 64 });
  accumulated.update(info.circuitHash);
  for (const c of info.contributions.slice(0, index)) hashPublicKey(accumulated, c);
  const expectedTranscript = accumulated
    .update(toUncompressedBE(last.g1S))
    .update(toUncompressedBE(last.g1Sx))
    .digest();
  const reason = await checkContribution(
    engine,
    last,
    expectedTranscript,
    previousDelta,
    options.maxBeaconIterationsExp ?? 32,
  );
  return reason ? { index, ok: false, reason } : { index, ok: true };
}

/** e(delta1, g2) = e(g1, delta2): both halves of delta carry the same exponent. */
export async function verifyDeltaPair<G1, G2>(
  engine: PokEngine<G1, G2>,
  delta1: Uint8Array,
  delta2: Uint8Array,
): Promise<{ ok: boolean; reason?: string }> {
  let points: { delta1: G1; delta2: G2 };
  try {
    points = { delta1: engine.decodeG1(delta1), delta2: engine.decodeG2(delta2) };
  } catch (err) {
    return { ok: false, reason: `delta is not a valid point: ${(err as Error).message}` };
  }
  if (!(await engine.sameRatio(engine.g1, points.delta1, engine.g2, points.delta2))) {
    return { ok: false, reason: 'delta1 and delta2 do not have the same ratio' };
  }
  return { ok: true };
}

/**
 * The header's delta must be the last contribution's deltaAfter (or the initial delta when there is none) and
 * delta2 must carry the same exponent as delta1: sameRatio(initial delta1, delta1, initial delta2, delta2).
 */
export function verifyHeaderDelta(
  info: ZkeyInfo,
  initialDelta?: InitialDelta,
): { ok: boolean; reason?: string } {
  assertInfo(info, 'verifyHeaderDelta');
  const last = info.contributions.at(-1);
  const expected = last ? last.deltaAfter : initialDelta?.delta1;
  if (expected && !equalBytes(expected, info.delta1)) {
    return { ok: false, reason: 'delta1 is not the last deltaAfter (or the initial delta)' };
  }
  try {
    const start1 = initialDelta ? decodeG1(initialDelta.delta1) : G1_GENERATOR;
    const start2 = initialDelta ? decodeG2(initialDelta.delta2) : G2_GENERATOR;
    if (!last && !initialDelta && !decodeG1(info.delta1).equals(G1_GENERATOR)) {
      return { ok: false, reason: 'delta1 of a zkey without contributions is not the generator' };
    }
    if (!sameRatio(start1, decodeG1(info.delta1), start2, decodeG2(info.delta2))) {
      return { ok: false, reason: 'delta1 and delta2 do not have the same ratio' };
    }
  } catch (err) {
    return { ok: false, reason: `delta is not a valid point: ${(err as Error).message}` };
  }
  return { ok: true };
}

async function checkContribution<G1, G2>(
  engine: PokEngine<G1, G2>,
  c: ZkeyContribution,
  expectedTranscript: Uint8Array,
  previousDelta: G1,
  maxBeaconIterationsExp: number,
): Promise<string | undefined> {
  if (!equalBytes(expectedTranscript, c.transcript)) return 'inconsistent transcript';
  let points: { g1S: G1; g1Sx: G1; g2Spx: G2; deltaAfter: G1 };
  try {
    points = {
      g1S: engine.decodeG1(c.g1S),
      g1Sx: engine.decodeG1(c.g1Sx),
      g2Spx: engine.decodeG2(c.g2Spx),
      deltaAfter: engine.decodeG1(c.deltaAfter),
    };
  } catch (err) {
    return `invalid point: ${(err as Error).message}`;
  }
  const g2Sp = engine.hashToG2(c.transcript);
  if (!(await engine.sameRatio(points.g1S, points.g1Sx, g2Sp, points.g2Spx))) {
    return 'proof of knowledge fails: g1_s/g1_sx and g2_sp/g2_spx do not have the same ratio';
  }
  if (!(await engine.sameRatio(previousDelta, points.deltaAfter, g2Sp, points.g2Spx))) {
    return 'deltaAfter does not follow the previous delta with this public key';
  }
  if (c.type === 1) return checkBeaconKey(c, maxBeaconIterationsExp);
  return undefined;
}

// The beacon key is re-derived with @noble/curves by every engine: its cost is the SHA-256 chain, not the curve.
async function checkBeaconKey(c: ZkeyContribution, maxExp: number): Promise<string | undefined> {
  const exp = c.numIterationsExp;
  if (c.beaconHash === undefined || exp === undefined) return 'beacon lacks its hash or iteration count';
  if (exp > maxExp) return `beacon iteration exponent ${exp} exceeds the cap of ${maxExp}`;
  const key = await deriveBeaconKey(c.beaconHash, exp);
  if (!key.g1S.equals(decodeG1(c.g1S))) return 'beacon key does not match: g1_s';
  if (!key.g1Sx.equals(decodeG1(c.g1Sx))) return 'beacon key does not match: g1_sx';
  return undefined;
}

function tryDecodeG1<G1, G2>(engine: PokEngine<G1, G2>, bytes: Uint8Array): G1 | undefined {
  try {
    return engine.decodeG1(bytes);
  } catch {
    return undefined;
  }
}

function assertInfo(info: ZkeyInfo, fn: string): void {
  if (!info || !Array.isArray(info.contributions) || !(info.circuitHash instanceof Uint8Array)) {
    throw new TypeError(`${fn}: info must be a ZkeyInfo from readZkeyInfo`);
  }
}
