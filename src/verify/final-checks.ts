// docs/PROTOCOL.md section 12, the final.* and outputs.* checks: the final zkey of every circuit is the file the transcript names, it
// verifies against the r1cs and ptau of circuit.added, its contributions are the accepted ones then the beacon,
// every proof of knowledge re-checks independently, and the published outputs are what it exports.
import { verifyFromR1cs } from '../snark/runner.js';
import { readZkeyInfo, type ZkeyInfo } from '../snark/zkey-file.js';
import type { ArtifactStore } from './artifacts.js';
import { checkProofs } from './beacon-checks.js';
import {
  allVerdicts,
  type CircuitResults,
  checkContributionList,
  costlyBeacon,
  emptyResults,
  type FinalCheck,
  type FinalPlan,
  finalBlocked,
  finalPlans,
  finalVerdicts,
  planProblems,
  repeatedBeacon,
} from './final-rules.js';
import type { Ledger } from './ledger.js';
import { checkOutputs } from './output-checks.js';
import type { CeremonySource } from './sources.js';
import { FINAL_CHECKS, shortHex, type Verdict } from './types.js';
import { verifyOnce } from './verification-memo.js';

export interface FinalCheckContext {
  ledger: Ledger;
  source: CeremonySource;
  artifacts: ArtifactStore;
  progress: (message: string) => void;
}

export async function runFinalChecks(ctx: FinalCheckContext): Promise<Record<FinalCheck, Verdict>> {
  const { facts } = ctx.ledger;
  const blocked = finalBlocked(facts);
  if (blocked) return allVerdicts(blocked);
  const { plans, unknown } = finalPlans(facts);
  const perCircuit: [string, CircuitResults][] = [];
  for (const plan of plans) {
    const results = await checkFinalCircuit(ctx, plan);
    repeatedBeacon(facts, plan, results);
    perCircuit.push([plan.circuit.circuit, results]);
  }
  return finalVerdicts(perCircuit, unknown);
}

async function checkFinalCircuit(ctx: FinalCheckContext, plan: FinalPlan): Promise<CircuitResults> {
  const r = emptyResults();
  const name = plan.circuit.circuit;
  const finalSha = plan.output?.finalZkeySha256 ?? plan.beacon?.zkeySha256;
  r['final.zkey'].problems.push(...planProblems(plan, ctx.ledger.facts.finalized?.seq ?? 0));
  const published = await ctx.source.readPublished(name, 'final.zkey.sha256').catch(() => undefined);
  if (
    published !== undefined &&
    finalSha !== undefined &&
    new TextDecoder().decode(published).trim() !== finalSha
  ) {
    r['final.zkey'].problems.push('the published final.zkey.sha256 differs from the transcript');
  }
  let finalPath: string | undefined;
  let unavailable = 'the transcript names no final zkey';
  if (finalSha !== undefined) {
    try {
      finalPath = await ctx.artifacts.obtain({ circuit: name, kind: 'zkey', index: 'final' }, finalSha);
    } catch (err) {
      unavailable = (err as Error).message;
      r['final.zkey'].problems.push(unavailable);
    }
  }
  if (finalPath === undefined) {
    for (const check of FINAL_CHECKS.slice(1)) r[check].problems.push(`not checked: ${unavailable}`);
    return r;
  }
  let info: ZkeyInfo;
  try {
    info = await readZkeyInfo(finalPath);
  } catch (err) {
    for (const check of FINAL_CHECKS.slice(0, 4))
      r[check].problems.push(`the final zkey does not parse: ${(err as Error).message}`);
    await checkOutputs(ctx, plan, finalPath, r);
    return r;
  }
  const costly = costlyBeacon(info);
  if (costly) r['final.zkey'].problems.push(`not verified with snarkjs: ${costly}`);
  else await verifyAgainstInputs(ctx, plan, finalPath, finalSha!, r);
  checkContributionList(plan, info, r);
  await checkProofs(ctx, plan, info, r);
  await checkOutputs(ctx, plan, finalPath, r);
  return r;
}

/** snarkjs `zkey verify` from the r1cs and ptau that circuit.added names (it also recomputes the beacon). */
async function verifyAgainstInputs(
  ctx: FinalCheckContext,
  plan: FinalPlan,
  finalPath: string,
  finalSha: string,
  r: CircuitResults,
) {
  const { circuit } = plan;
  try {
    const r1cs = await ctx.artifacts.obtain({ circuit: circuit.circuit, kind: 'r1cs' }, circuit.r1csSha256);
    const ptau = await ctx.artifacts.obtain({ circuit: circuit.circuit, kind: 'ptau' }, circuit.ptauSha256);
    ctx.progress(`verifying the final zkey of ${circuit.circuit} against its r1cs and ptau (snarkjs)`);
    const hashes = [circuit.r1csSha256, circuit.ptauSha256, finalSha];
    const verdict = await verifyOnce('verifyFromR1cs', hashes, () => verifyFromR1cs(r1cs, ptau, finalPath));
    if (!verdict.ok)
      r['final.zkey'].problems.push(`snarkjs verification failed: ${verdict.reason ?? 'no reason given'}`);
    r['final.zkey'].shown =
      `${shortHex(plan.output?.finalZkeySha256 ?? '')} verifies against r1cs ${shortHex(circuit.r1csSha256)} and ptau ${shortHex(circuit.ptauSha256)} (snarkjs ${Math.round(verdict.durationMs)} ms)`;
  } catch (err) {
    r['final.zkey'].problems.push((err as Error).message);
  }
}
