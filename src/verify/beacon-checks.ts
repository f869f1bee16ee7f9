// The beacon and the proofs of knowledge of a final zkey, re-checked with @noble/curves BN254 (src/snark/pok.ts),
// independently of the snarkjs verification in final.zkey.
import { toHex } from '../crypto/hex.js';
import { MAX_ITERATIONS_EXP } from '../limits.js';
import { verifyContributionProofs, verifyHeaderDelta } from '../snark/pok.js';
import type { ZkeyInfo } from '../snark/zkey-file.js';
import type { CircuitResults, FinalCheckContext, FinalPlan } from './final-checks.js';
import { shortHex } from './types.js';

/** Beacons cost every auditor 2^n SHA-256 rounds (2^20 ≈ 3 s): the auditor's cap is the coordinator's own. */
export const MAX_BEACON_ITERATIONS_EXP = MAX_ITERATIONS_EXP;

/** Why recomputing this zkey's beacons would take too long (2^n SHA-256 rounds each), or undefined. */
export function costlyBeacon(info: ZkeyInfo): string | undefined {
  const exp = Math.max(
    0,
    ...info.contributions.filter((c) => c.type === 1).map((c) => c.numIterationsExp ?? 0),
  );
  return exp > MAX_BEACON_ITERATIONS_EXP
    ? `a beacon asks for 2^${exp} hash iterations, more than the auditor's cap of 2^${MAX_BEACON_ITERATIONS_EXP}`
    : undefined;
}

export async function checkProofs(
  ctx: FinalCheckContext,
  plan: FinalPlan,
  info: ZkeyInfo,
  r: CircuitResults,
) {
  ctx.progress(`re-checking the proofs of knowledge of ${plan.circuit.circuit} (BN254, @noble/curves)`);
  const checks = await verifyContributionProofs(info, undefined, {
    maxBeaconIterationsExp: MAX_BEACON_ITERATIONS_EXP,
  });
  const delta = verifyHeaderDelta(info);
  const pok = r['final.proofs-of-knowledge'];
  for (const c of checks) if (!c.ok) pok.problems.push(`contribution ${c.index + 1}: ${c.reason ?? 'fails'}`);
  if (!delta.ok) pok.problems.push(`header delta: ${delta.reason ?? 'fails'}`);
  pok.shown = `${checks.length} proofs of knowledge and the delta chain re-check`;

  const beacon = plan.beacon;
  const last = info.contributions.at(-1);
  const b = r['final.beacon'];
  if (!beacon || !last || last.type !== 1) {
    b.problems.push('the final zkey does not end with a beacon contribution');
    return;
  }
  const beaconHash = last.beaconHash ? toHex(last.beaconHash) : '';
  if (beaconHash !== beacon.beaconHex)
    b.problems.push(
      `the zkey's beacon is ${shortHex(beaconHash)}, beacon.applied says ${shortHex(beacon.beaconHex)}`,
    );
  if (last.numIterationsExp !== beacon.iterationsExp) {
    b.problems.push(
      `the zkey's beacon takes 2^${last.numIterationsExp} iterations, beacon.applied says 2^${beacon.iterationsExp}`,
    );
  }
  const lastCheck = checks.at(-1);
  if (lastCheck && !lastCheck.ok)
    b.problems.push(`the beacon key does not recompute: ${lastCheck.reason ?? ''}`);
  b.shown = `beacon ${shortHex(beacon.beaconHex)} with 2^${beacon.iterationsExp} iterations recomputes (independently, and by snarkjs in final.zkey)`;
}
