// SPEC.md "What an auditor checks", 4 and 5: the final zkey of every circuit is the file the transcript names, it
// verifies against the r1cs and ptau of circuit.added, its contributions are the accepted ones then the beacon,
// every proof of knowledge re-checks independently, and the published outputs are what it exports.
import { createHash } from 'node:crypto';
import { toHex } from '../crypto/hex.js';
import { verifyContributionProofs, verifyHeaderDelta } from '../snark/pok.js';
import { exportSolidityVerifier, exportVerificationKey, verifyFromR1cs } from '../snark/runner.js';
import { readZkeyInfo, type ZkeyInfo } from '../snark/zkey-file.js';
import type { ArtifactStore } from './artifacts.js';
import type { AcceptedFact, BeaconFact, CircuitFact, FinalOutputFact } from './facts.js';
import { malformedOf } from './facts.js';
import type { Ledger } from './ledger.js';
import type { CeremonySource } from './sources.js';
import { type CheckName, fail, pass, skip, summarizeProblems, type Verdict } from './types.js';

export const FINAL_CHECKS = [
  'final.zkey',
  'final.contributions',
  'final.beacon',
  'final.proofs-of-knowledge',
  'outputs.verification-key',
  'outputs.verifier',
] as const satisfies readonly CheckName[];

type FinalCheck = (typeof FINAL_CHECKS)[number];
/** Per check, the problems one circuit has (empty = holds) and what was shown when it holds. */
type CircuitResults = Record<FinalCheck, { problems: string[]; shown: string }>;

interface FinalPlan {
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

/** Beacons cost every auditor 2^n SHA-256 rounds (2^20 ≈ 3 s); the coordinator's own cap (finalize.ts) is 28. */
export const MAX_BEACON_ITERATIONS_EXP = 28;

const short = (hex: string) => `${hex.slice(0, 16)}…`;
const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function allVerdicts(verdict: Verdict): Record<FinalCheck, Verdict> {
  return Object.fromEntries(FINAL_CHECKS.map((name) => [name, verdict])) as Record<FinalCheck, Verdict>;
}

export async function runFinalChecks(ctx: FinalCheckContext): Promise<Record<FinalCheck, Verdict>> {
  const { facts } = ctx.ledger;
  const malformed = malformedOf(facts, ['beacon.applied', 'ceremony.finalized']);
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
      `beacon.applied names zkey ${short(beacon.zkeySha256)}, ceremony.finalized ${short(output.finalZkeySha256)}`,
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
  else await verifyAgainstInputs(ctx, plan, finalPath, r);
  checkContributionList(plan, info, r);
  await checkProofs(ctx, plan, info, r);
  await checkOutputs(ctx, plan, finalPath, r);
  return r;
}

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

/** snarkjs `zkey verify` from the r1cs and ptau that circuit.added names (it also recomputes the beacon). */
async function verifyAgainstInputs(
  ctx: FinalCheckContext,
  plan: FinalPlan,
  finalPath: string,
  r: CircuitResults,
) {
  const { circuit } = plan;
  try {
    const r1cs = await ctx.artifacts.obtain({ circuit: circuit.circuit, kind: 'r1cs' }, circuit.r1csSha256);
    const ptau = await ctx.artifacts.obtain({ circuit: circuit.circuit, kind: 'ptau' }, circuit.ptauSha256);
    ctx.progress(`verifying the final zkey of ${circuit.circuit} against its r1cs and ptau (snarkjs)`);
    const verdict = await verifyFromR1cs(r1cs, ptau, finalPath);
    if (!verdict.ok)
      r['final.zkey'].problems.push(`snarkjs verification failed: ${verdict.reason ?? 'no reason given'}`);
    r['final.zkey'].shown =
      `${short(plan.output?.finalZkeySha256 ?? '')} verifies against r1cs ${short(circuit.r1csSha256)} and ptau ${short(circuit.ptauSha256)} (snarkjs ${Math.round(verdict.durationMs)} ms)`;
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
        `contribution ${i + 1} has hash ${short(c.contributionHash)}, the transcript accepted ${short(a.contributionHash)}`,
      );
    }
  });
  const last = list[plan.accepted.length];
  if (last && (last.type !== 1 || last.contributionHash !== plan.beacon?.contributionHash)) {
    problems.push(
      `the last contribution (hash ${short(last.contributionHash)}) is not the beacon of beacon.applied`,
    );
  }
  r['final.contributions'].shown =
    `${plan.accepted.length} accepted contribution hashes in order, then the beacon`;
}

async function checkProofs(ctx: FinalCheckContext, plan: FinalPlan, info: ZkeyInfo, r: CircuitResults) {
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
      `the zkey's beacon is ${short(beaconHash)}, beacon.applied says ${short(beacon.beaconHex)}`,
    );
  if (last.numIterationsExp !== beacon.iterationsExp) {
    b.problems.push(
      `the zkey's beacon takes 2^${last.numIterationsExp} iterations, beacon.applied says 2^${beacon.iterationsExp}`,
    );
  }
  const lastCheck = checks.at(-1);
  if (lastCheck && !lastCheck.ok)
    b.problems.push(`the beacon key does not recompute: ${lastCheck.reason ?? ''}`);
  b.shown = `beacon ${short(beacon.beaconHex)} with 2^${beacon.iterationsExp} iterations recomputes (independently, and by snarkjs in final.zkey)`;
}

async function checkOutputs(ctx: FinalCheckContext, plan: FinalPlan, finalPath: string, r: CircuitResults) {
  const name = plan.circuit.circuit;
  const output = plan.output;
  const compare = async (
    check: FinalCheck,
    file: 'verification_key.json' | 'verifier.sol',
    bytes: Uint8Array,
    sha?: string,
  ) => {
    const res = r[check];
    const actual = sha256Hex(bytes);
    if (sha !== undefined && actual !== sha)
      res.problems.push(`the export has SHA-256 ${short(actual)}, ceremony.finalized says ${short(sha)}`);
    const published = await ctx.source.readPublished(name, file).catch(() => undefined);
    if (published === undefined) res.problems.push(`${file} is not published`);
    else if (sha256Hex(published) !== actual)
      res.problems.push(`the published ${file} differs from the export of the final zkey`);
    res.shown = `${file} ${short(actual)} is the export of the final zkey`;
  };
  try {
    ctx.progress(`exporting the verification key and Solidity verifier of ${name}`);
    const { verificationKey } = await exportVerificationKey(finalPath);
    const vk = new TextEncoder().encode(`${JSON.stringify(verificationKey, null, 1)}\n`);
    await compare('outputs.verification-key', 'verification_key.json', vk, output?.verificationKeySha256);
    const { solidity } = await exportSolidityVerifier(finalPath);
    await compare(
      'outputs.verifier',
      'verifier.sol',
      new TextEncoder().encode(solidity),
      output?.verifierSolSha256,
    );
  } catch (err) {
    for (const check of ['outputs.verification-key', 'outputs.verifier'] as const) {
      if (r[check].shown === '') r[check].problems.push(`export failed: ${(err as Error).message}`);
    }
  }
  if (!output)
    for (const check of ['outputs.verification-key', 'outputs.verifier'] as const)
      r[check].problems.push('ceremony.finalized does not list this circuit');
}
