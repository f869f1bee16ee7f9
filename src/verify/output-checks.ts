// A final zkey's outputs: the verification key and Solidity verifier it exports must be the files that
// ceremony.finalized names by SHA-256 and that are published.
import { createHash } from 'node:crypto';
import { exportSolidityVerifier, exportVerificationKey } from '../snark/runner.js';
import type { CircuitResults, FinalCheck, FinalCheckContext, FinalPlan } from './final-checks.js';
import { shortHex } from './types.js';

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export async function checkOutputs(
  ctx: FinalCheckContext,
  plan: FinalPlan,
  finalPath: string,
  r: CircuitResults,
) {
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
      res.problems.push(
        `the export has SHA-256 ${shortHex(actual)}, ceremony.finalized says ${shortHex(sha)}`,
      );
    const published = await ctx.source.readPublished(name, file).catch(() => undefined);
    if (published === undefined) res.problems.push(`${file} is not published`);
    else if (sha256Hex(published) !== actual)
      res.problems.push(`the published ${file} differs from the export of the final zkey`);
    res.shown = `${file} ${shortHex(actual)} is the export of the final zkey`;
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
