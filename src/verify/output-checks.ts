// A final zkey's outputs: the verification key and Solidity verifier it exports must be the files that
// ceremony.finalized names by SHA-256 and that are published (the rule is final-rules.ts checkOutput).
import { createHash } from 'node:crypto';
import { exportSolidityVerifier, exportVerificationKey } from '../snark/runner.js';
import type { FinalCheckContext } from './final-checks.js';
import {
  type CircuitResults,
  checkOutput,
  type FinalPlan,
  type OutputCheck,
  type OutputFile,
  outputsFailed,
  outputsUnlisted,
  verificationKeyBytes,
} from './final-rules.js';

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export async function checkOutputs(
  ctx: FinalCheckContext,
  plan: FinalPlan,
  finalPath: string,
  r: CircuitResults,
) {
  const name = plan.circuit.circuit;
  const output = plan.output;
  const compare = async (check: OutputCheck, file: OutputFile, bytes: Uint8Array, sha?: string) => {
    const published = await ctx.source.readPublished(name, file).catch(() => undefined);
    checkOutput(r, check, file, {
      sha256: sha256Hex(bytes),
      finalizedSha256: sha,
      publishedSha256: published === undefined ? undefined : sha256Hex(published),
    });
  };
  try {
    ctx.progress(`exporting the verification key and Solidity verifier of ${name}`);
    const { verificationKey } = await exportVerificationKey(finalPath);
    const vk = verificationKeyBytes(verificationKey);
    await compare('outputs.verification-key', 'verification_key.json', vk, output?.verificationKeySha256);
    const { solidity } = await exportSolidityVerifier(finalPath);
    await compare(
      'outputs.verifier',
      'verifier.sol',
      new TextEncoder().encode(solidity),
      output?.verifierSolSha256,
    );
  } catch (err) {
    outputsFailed(r, `export failed: ${(err as Error).message}`);
  }
  outputsUnlisted(plan, r);
}
