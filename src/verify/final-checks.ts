// docs/PROTOCOL.md section 12, the final.* and outputs.* checks: the final zkey of every circuit is the file the transcript names, it
// verifies against the r1cs and ptau of circuit.added, its contributions are the accepted ones then the beacon,
// every proof of knowledge re-checks independently, and the published outputs are what it exports.
import { verifyFromR1cs } from '../snark/runner.js';
import { readZkeyInfo, type ZkeyInfo } from '../snark/zkey-file.js';
import type { ArtifactStore } from './artifacts.js';
import { checkProofs, costlyBeacon } from './beacon-checks.js';
import type { AcceptedFact, BeaconFact, CircuitFact, FinalOutputFact } from './facts.js';
import { malformedOf } from './facts.js';
import type { Ledger } from './ledger.js';
import { checkOutputs } from './output-checks.js';
import type { CeremonySource } from './sources.js';
import { FINAL_CHECKS, fail, pass, shortHex, skip, summarizeProblems, type Verdict } from './types.js';
import { verifyOnce } from './verification-memo.js';

export type FinalCheck = (typeof FINAL_CHECKS)[number];
/** Per check, the problems one circuit has (empty = holds) and what was shown when it holds. */
export type CircuitResults = Record<FinalCheck, { problems: string[]; shown: string }>;

export interface FinalPlan {
  circuit: CircuitFact;
  accepted: AcceptedFact[];
  beacon: BeaconFact | undefined;
  output: FinalOutputFact | undefined;
}

export interface FinalCheckContext {
  ledger: Ledger;
  source: CeremonySource;
  artifacts: ArtifactStore;
  progress: (message: string) => void;
}

export function allVerdicts(verdict: Verdict): Record<FinalCheck, Verdict> {
  return Object.fromEntries(FINAL_CHECKS.map((name) => [name, verdict])) as Record<FinalCheck, Verdict>;
}

export async function runFinalChecks(ctx: FinalCheckContext): Promise<Record<FinalCheck, Verdict>> {
  const { facts } = ctx.ledger;
  const malformed = malformedOf(facts, ['beacon.applied', 'ceremony.finalized', 'circuit.rewound']);
  if (malformed.length > 0) return allVerdicts(fail(`malformed entries: ${summarizeProblems(malformed)}`));
  if (!facts.finalized) {
    const beacons = facts.beacons.map((b) => b.circuit);
    const why =
      beacons.length > 0
        ? ` (a beacon was applied to ${beacons.join(', ')}; finalization is in progress)`
        : '';
    return allVerdicts(
      skip(`the ceremony is not finalized: the transcript has no ceremony.finalized entry${why}`),
    );
  }
  const outputs = facts.finalized.outputs;
  const unknown = outputs
    .filter((o) => !facts.circuits.some((c) => c.circuit === o.circuit))
    .map((o) => o.circuit);
  const perCircuit: [string, CircuitResults][] = [];
  for (const circuit of facts.circuits) {
    const plan: FinalPlan = {
      circuit,
      accepted: facts.accepted.filter((a) => a.circuit === circuit.circuit),
      beacon: facts.beacons.find((b) => b.circuit === circuit.circuit),
      output: outputs.find((o) => o.circuit === circuit.circuit),
    };
    const results = await checkFinalCircuit(ctx, plan);
    if (facts.beacons.filter((b) => b.circuit === circuit.circuit).length > 1) {
      results['final.zkey'].problems.push('more than one beacon.applied entry');
    }
    perCircuit.push([circuit.circuit, results]);
  }
  const verdicts = {} as Record<FinalCheck, Verdict>;
  for (const name of FINAL_CHECKS) {
    const problems = perCircuit.flatMap(([c, r]) => r[name].problems.map((p) => `${c}: ${p}`));
    if (name === 'final.zkey' && unknown.length > 0)
      problems.push(`ceremony.finalized names unknown circuit(s) ${unknown.join(', ')}`);
    verdicts[name] =
      problems.length > 0
        ? fail(summarizeProblems(problems))
        : pass(perCircuit.map(([c, r]) => `${c}: ${r[name].shown}`).join('; '));
  }
  return verdicts;
}

function emptyResults(): CircuitResults {
  return Object.fromEntries(
    FINAL_CHECKS.map((name) => [name, { problems: [], shown: '' }]),
  ) as unknown as CircuitResults;
}

/** What the transcript itself must say about a circuit's final zkey, before any file is read. */
function planProblems(plan: FinalPlan, finalizedSeq: number): string[] {
  const { beacon, output } = plan;
  const problems: string[] = [];
  if (!output) problems.push('ceremony.finalized does not list this circuit');
  if (!beacon) return [...problems, 'no beacon.applied entry'];
  if (output && beacon.zkeySha256 !== output.finalZkeySha256) {
    problems.push(
      `beacon.applied names zkey ${shortHex(beacon.zkeySha256)}, ceremony.finalized ${shortHex(output.finalZkeySha256)}`,
    );
  }
  const last = plan.accepted.at(-1);
  if (last && beacon.seq < last.seq)
    problems.push(`the beacon (seq ${beacon.seq}) precedes contribution #${last.index}`);
  if (beacon.seq > finalizedSeq) problems.push('the beacon was applied after ceremony.finalized');
  return problems;
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

function checkContributionList(plan: FinalPlan, info: ZkeyInfo, r: CircuitResults): void {
  const list = info.contributions;
  const problems = r['final.contributions'].problems;
  const expected = plan.accepted.length + 1;
  if (list.length !== expected) {
    problems.push(
      `the final zkey holds ${list.length} contributions, the transcript ${plan.accepted.length} and a beacon`,
    );
  }
  plan.accepted.forEach((a, i) => {
    const c = list[i];
    if (!c) return;
    if (c.type !== 0)
      problems.push(
        `contribution ${i + 1} of the zkey is a beacon, the transcript accepted #${a.index} there`,
      );
    else if (c.contributionHash !== a.contributionHash) {
      problems.push(
        `contribution ${i + 1} has hash ${shortHex(c.contributionHash)}, the transcript accepted ${shortHex(a.contributionHash)}`,
      );
    }
  });
  const last = list[plan.accepted.length];
  if (last && (last.type !== 1 || last.contributionHash !== plan.beacon?.contributionHash)) {
    problems.push(
      `the last contribution (hash ${shortHex(last.contributionHash)}) is not the beacon of beacon.applied`,
    );
  }
  r['final.contributions'].shown =
    `${plan.accepted.length} accepted contribution hashes in order, then the beacon`;
}
