// `--full`: the initial zkey is recomputed from the r1cs and ptau (it is deterministic), and every accepted
// intermediate zkey is the file the transcript names, holds exactly the accepted contributions so far, and
// passes snarkjs verifyFromInit against that initial zkey.
import { join } from 'node:path';
import { createInitialZkey, verifyFromInit } from '../snark/runner.js';
import { readZkeyInfo } from '../snark/zkey-file.js';
import { sha256File } from '../storage/file-hash.js';
import { ArtifactError } from './artifacts.js';
import { type AcceptedFact, type CircuitFact, malformedOf } from './facts.js';
import type { FinalCheckContext } from './final-checks.js';
import { HttpSource } from './http-source.js';
import { fail, pass, skip, summarizeProblems, type Verdict } from './types.js';
import { verifyOnce } from './verification-memo.js';

export async function checkIntermediate(ctx: FinalCheckContext, full: boolean): Promise<Verdict> {
  if (!full) return skip('intermediate zkeys are re-verified only with --full');
  const { facts } = ctx.ledger;
  const malformed = malformedOf(facts, ['circuit.added', 'contribution.accepted', 'circuit.rewound']);
  if (malformed.length > 0) return fail(`malformed entries: ${summarizeProblems(malformed)}`);
  if (facts.circuits.length === 0) return fail('no circuit.added entry');
  const problems: string[] = [];
  const shown: string[] = [];
  for (const circuit of facts.circuits) {
    const accepted = facts.accepted.filter((a) => a.circuit === circuit.circuit);
    const before = problems.length;
    await checkCircuitChain(ctx, circuit, accepted, problems);
    if (problems.length === before) shown.push(`${circuit.circuit}: ${accepted.length}`);
  }
  if (problems.length > 0) return fail(summarizeProblems(problems));
  return pass(
    `initial zkeys recomputed from r1cs + ptau; every intermediate zkey verifies from it with snarkjs (${shown.join(', ')})`,
  );
}

async function checkCircuitChain(
  ctx: FinalCheckContext,
  circuit: CircuitFact,
  accepted: AcceptedFact[],
  problems: string[],
): Promise<void> {
  const name = circuit.circuit;
  let init: string;
  let ptau: string;
  try {
    const r1cs = await ctx.artifacts.obtain({ circuit: name, kind: 'r1cs' }, circuit.r1csSha256);
    ptau = await ctx.artifacts.obtain({ circuit: name, kind: 'ptau' }, circuit.ptauSha256);
    init = join(await ctx.artifacts.workDir(), `${name}-initial.zkey`);
    ctx.progress(`recomputing the initial zkey of ${name} (snarkjs zkey new)`);
    await createInitialZkey(r1cs, ptau, init);
  } catch (err) {
    problems.push(`${name}: ${(err as Error).message}`);
    return;
  }
  const initSha = await sha256File(init);
  if (initSha !== circuit.initialZkeySha256) {
    problems.push(
      `${name}: the recomputed initial zkey is ${initSha.slice(0, 16)}…, circuit.added says ${circuit.initialZkeySha256.slice(0, 16)}…`,
    );
    return;
  }
  const missing: number[] = [];
  for (const [i, a] of accepted.entries()) {
    const label = `${name} #${a.index}`;
    try {
      const path = await ctx.artifacts.obtain({ circuit: name, kind: 'zkey', index: a.index }, a.zkeySha256);
      const info = await readZkeyInfo(path);
      const hashes = info.contributions.map((c) => (c.type === 0 ? c.contributionHash : 'beacon'));
      const expected = accepted.slice(0, i + 1).map((x) => x.contributionHash);
      // Only participant contributions pass this, so snarkjs never has a beacon to recompute here.
      if (hashes.join() !== expected.join()) {
        problems.push(`${label}: its contributions are not the ${i + 1} accepted so far`);
        continue;
      }
      ctx.progress(`verifying zkey #${a.index} of ${name} from the initial zkey (snarkjs)`);
      const inputs = [initSha, circuit.ptauSha256, a.zkeySha256];
      const verdict = await verifyOnce('verifyFromInit', inputs, () => verifyFromInit(init, ptau, path));
      if (!verdict.ok)
        problems.push(`${label}: snarkjs verifyFromInit fails: ${verdict.reason ?? 'no reason given'}`);
    } catch (err) {
      if (err instanceof ArtifactError && err.missing) missing.push(a.index);
      else problems.push(`${label}: ${(err as Error).message}`);
    }
  }
  if (missing.length > 0) {
    const where =
      ctx.source instanceof HttpSource
        ? ''
        : ` (give --server, or put ${name}/zkeys/<index>.zkey in the directory)`;
    problems.push(
      `${name}: zkey(s) #${missing.join(', #')} are not available from ${ctx.source.label}${where}`,
    );
  }
}
