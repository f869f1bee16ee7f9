// The rules of the final.* and outputs.* checks (docs/PROTOCOL.md section 12) on what was read and computed, with
// no I/O: `ceremony verify` (final-checks.ts) and the audit page (src/web/pages/audit-final.ts) both decide here.
import { toHex } from '../crypto/hex.js';
import { MAX_ITERATIONS_EXP } from '../limits.js';
import type { PokCheck } from '../snark/pok.js';
import type { ZkeyInfo } from '../snark/zkey-parse.js';
import {
  type AcceptedFact,
  type BeaconFact,
  type CircuitFact,
  type FinalOutputFact,
  type LedgerFacts,
  malformedOf,
} from './facts.js';
import { FINAL_CHECKS, fail, pass, shortHex, skip, summarizeProblems, type Verdict } from './types.js';

export type FinalCheck = (typeof FINAL_CHECKS)[number];
/** Per check, the problems one circuit has (empty = holds) and what was shown when it holds. */
export type CircuitResults = Record<FinalCheck, { problems: string[]; shown: string }>;

export interface FinalPlan {
  circuit: CircuitFact;
  accepted: AcceptedFact[];
  beacon: BeaconFact | undefined;
  output: FinalOutputFact | undefined;
}

/** Beacons cost every auditor 2^n SHA-256 rounds (2^20 ≈ 3 s): the auditor's cap is the coordinator's own. */
export const MAX_BEACON_ITERATIONS_EXP = MAX_ITERATIONS_EXP;

export function allVerdicts(verdict: Verdict): Record<FinalCheck, Verdict> {
  return Object.fromEntries(FINAL_CHECKS.map((name) => [name, verdict])) as Record<FinalCheck, Verdict>;
}

/** The one verdict of every final check when the transcript does not let them run (malformed, not finalized). */
export function finalBlocked(facts: LedgerFacts): Verdict | undefined {
  const malformed = malformedOf(facts, ['beacon.applied', 'ceremony.finalized', 'circuit.rewound']);
  if (malformed.length > 0) return fail(`malformed entries: ${summarizeProblems(malformed)}`);
  if (facts.finalized) return undefined;
  const beacons = facts.beacons.map((b) => b.circuit);
  const why =
    beacons.length > 0 ? ` (a beacon was applied to ${beacons.join(', ')}; finalization is in progress)` : '';
  return skip(`the ceremony is not finalized: the transcript has no ceremony.finalized entry${why}`);
}

/** What the transcript says each circuit's final zkey must be, and circuits ceremony.finalized names unknowingly. */
export function finalPlans(facts: LedgerFacts): { plans: FinalPlan[]; unknown: string[] } {
  const outputs = facts.finalized?.outputs ?? [];
  const unknown = outputs
    .filter((o) => !facts.circuits.some((c) => c.circuit === o.circuit))
    .map((o) => o.circuit);
  const plans = facts.circuits.map((circuit) => ({
    circuit,
    accepted: facts.accepted.filter((a) => a.circuit === circuit.circuit),
    beacon: facts.beacons.find((b) => b.circuit === circuit.circuit),
    output: outputs.find((o) => o.circuit === circuit.circuit),
  }));
  return { plans, unknown };
}

export function repeatedBeacon(facts: LedgerFacts, plan: FinalPlan, r: CircuitResults): void {
  if (facts.beacons.filter((b) => b.circuit === plan.circuit.circuit).length > 1)
    r['final.zkey'].problems.push('more than one beacon.applied entry');
}

export function emptyResults(): CircuitResults {
  return Object.fromEntries(
    FINAL_CHECKS.map((name) => [name, { problems: [], shown: '' }]),
  ) as unknown as CircuitResults;
}

/** One verdict per check over every circuit: a problem anywhere fails it, naming the circuit. */
export function finalVerdicts(
  perCircuit: [string, CircuitResults][],
  unknownCircuits: string[],
): Record<FinalCheck, Verdict> {
  const verdicts = {} as Record<FinalCheck, Verdict>;
  for (const name of FINAL_CHECKS) {
    const problems = perCircuit.flatMap(([c, r]) => r[name].problems.map((p) => `${c}: ${p}`));
    if (name === 'final.zkey' && unknownCircuits.length > 0)
      problems.push(`ceremony.finalized names unknown circuit(s) ${unknownCircuits.join(', ')}`);
    verdicts[name] =
      problems.length > 0
        ? fail(summarizeProblems(problems))
        : pass(perCircuit.map(([c, r]) => `${c}: ${r[name].shown}`).join('; '));
  }
  return verdicts;
}

/** What the transcript itself must say about a circuit's final zkey, before any file is read. */
export function planProblems(plan: FinalPlan, finalizedSeq: number): string[] {
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

/** final.contributions: the zkey's list is the accepted contributions' hashes in order, then the beacon. */
export function checkContributionList(plan: FinalPlan, info: ZkeyInfo, r: CircuitResults): void {
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

/**
 * final.proofs-of-knowledge and final.beacon from the independent re-check (src/snark/pok.ts): every proof and the
 * delta chain hold, and the zkey's last contribution is the beacon of beacon.applied, whose key recomputes.
 */
export function checkProofResults(
  plan: FinalPlan,
  info: ZkeyInfo,
  checks: PokCheck[],
  delta: { ok: boolean; reason?: string },
  r: CircuitResults,
): void {
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

export type OutputCheck = 'outputs.verification-key' | 'outputs.verifier';
export type OutputFile = 'verification_key.json' | 'verifier.sol';

/** The bytes of verification_key.json as the coordinator publishes snarkjs's export (one-space JSON, a newline). */
export function verificationKeyBytes(verificationKey: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(verificationKey, null, 1)}\n`);
}

/** outputs.*: the export's SHA-256 is the one ceremony.finalized names, and the published file is the export. */
export function checkOutput(
  r: CircuitResults,
  check: OutputCheck,
  file: OutputFile,
  exported: { sha256: string; finalizedSha256: string | undefined; publishedSha256: string | undefined },
): void {
  const res = r[check];
  const { sha256, finalizedSha256, publishedSha256 } = exported;
  if (finalizedSha256 !== undefined && sha256 !== finalizedSha256)
    res.problems.push(
      `the export has SHA-256 ${shortHex(sha256)}, ceremony.finalized says ${shortHex(finalizedSha256)}`,
    );
  if (publishedSha256 === undefined) res.problems.push(`${file} is not published`);
  else if (publishedSha256 !== sha256)
    res.problems.push(`the published ${file} differs from the export of the final zkey`);
  res.shown = `${file} ${shortHex(sha256)} is the export of the final zkey`;
}

/** outputs.* when the export could not run, or when ceremony.finalized does not list the circuit. */
export function outputsFailed(r: CircuitResults, reason: string): void {
  for (const check of ['outputs.verification-key', 'outputs.verifier'] as const)
    if (r[check].shown === '') r[check].problems.push(reason);
}

export function outputsUnlisted(plan: FinalPlan, r: CircuitResults): void {
  if (!plan.output)
    for (const check of ['outputs.verification-key', 'outputs.verifier'] as const)
      r[check].problems.push('ceremony.finalized does not list this circuit');
}
