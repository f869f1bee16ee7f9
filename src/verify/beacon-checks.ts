// The beacon and the proofs of knowledge of a final zkey, re-checked with @noble/curves BN254 (src/snark/pok.ts),
// independently of the snarkjs verification in final.zkey.
import { verifyContributionProofs, verifyHeaderDelta } from '../snark/pok.js';
import type { ZkeyInfo } from '../snark/zkey-file.js';
import type { FinalCheckContext } from './final-checks.js';
import {
  type CircuitResults,
  checkProofResults,
  type FinalPlan,
  MAX_BEACON_ITERATIONS_EXP,
} from './final-rules.js';

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
  checkProofResults(plan, info, checks, verifyHeaderDelta(info), r);
}
