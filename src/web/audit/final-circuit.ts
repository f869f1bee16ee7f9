// One circuit's final.* and outputs.* checks in the audit worker, in the order and with the rules of
// `ceremony verify` (src/verify/final-checks.ts, final-rules.ts); the files arrive in memory, already matched to
// the SHA-256s the transcript names.
import { toHex } from '../../crypto/hex.js';
import { bytesSource } from '../../snark/bin-file.js';
import { verifyContributionProofs, verifyHeaderDelta } from '../../snark/pok.js';
import { parseZkeyInfo, type ZkeyInfo } from '../../snark/zkey-parse.js';
import {
  type CircuitResults,
  checkContributionList,
  checkOutput,
  checkProofResults,
  costlyBeacon,
  emptyResults,
  type FinalPlan,
  MAX_BEACON_ITERATIONS_EXP,
  type OutputCheck,
  type OutputFile,
  outputsFailed,
  outputsUnlisted,
  planProblems,
  verificationKeyBytes,
} from '../../verify/final-rules.js';
import { FINAL_CHECKS, shortHex } from '../../verify/types.js';

export interface FinalCircuitInput {
  plan: FinalPlan;
  finalizedSeq: number;
  /** The final zkey, or why it could not be had (then every check of the circuit fails, as in the CLI). */
  zkey: Uint8Array | { problem: string };
  /** The r1cs and ptau of circuit.added, or why they could not be had (final.zkey fails with it). */
  inputs: { r1cs: Uint8Array; ptau: Uint8Array } | { problem: string };
  /** The published outputs (undefined: not published). */
  published: Record<OutputFile, Uint8Array | undefined>;
}

/** What snarkjs does here; the worker gives snarkjs itself. */
export interface Snark {
  verifyFromR1cs(
    r1cs: Uint8Array,
    ptau: Uint8Array,
    zkey: Uint8Array,
  ): Promise<{ ok: boolean; reason?: string; ms: number }>;
  exportVerificationKey(zkey: Uint8Array): Promise<unknown>;
  exportSolidityVerifier(zkey: Uint8Array): Promise<string>;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

export async function checkFinalCircuit(input: FinalCircuitInput, snark: Snark): Promise<CircuitResults> {
  const { plan, zkey } = input;
  const r = emptyResults();
  r['final.zkey'].problems.push(...planProblems(plan, input.finalizedSeq));
  if (!(zkey instanceof Uint8Array)) {
    r['final.zkey'].problems.push(zkey.problem);
    for (const check of FINAL_CHECKS.slice(1)) r[check].problems.push(`not checked: ${zkey.problem}`);
    return r;
  }
  let info: ZkeyInfo;
  try {
    info = await parseZkeyInfo(bytesSource(zkey));
  } catch (err) {
    for (const check of FINAL_CHECKS.slice(0, 4))
      r[check].problems.push(`the final zkey does not parse: ${(err as Error).message}`);
    await checkOutputs(input, zkey, snark, r);
    return r;
  }
  const costly = costlyBeacon(info);
  if (costly) r['final.zkey'].problems.push(`not verified with snarkjs: ${costly}`);
  else await verifyAgainstInputs(input, zkey, snark, r);
  checkContributionList(plan, info, r);
  const checks = await verifyContributionProofs(info, undefined, {
    maxBeaconIterationsExp: MAX_BEACON_ITERATIONS_EXP,
  });
  checkProofResults(plan, info, checks, verifyHeaderDelta(info), r);
  await checkOutputs(input, zkey, snark, r);
  return r;
}

async function verifyAgainstInputs(
  input: FinalCircuitInput,
  zkey: Uint8Array,
  snark: Snark,
  r: CircuitResults,
) {
  const { circuit, output } = input.plan;
  if (!('r1cs' in input.inputs)) {
    r['final.zkey'].problems.push(input.inputs.problem);
    return;
  }
  try {
    const verdict = await snark.verifyFromR1cs(input.inputs.r1cs, input.inputs.ptau, zkey);
    if (!verdict.ok)
      r['final.zkey'].problems.push(`snarkjs verification failed: ${verdict.reason ?? 'no reason given'}`);
    r['final.zkey'].shown =
      `${shortHex(output?.finalZkeySha256 ?? '')} verifies against r1cs ${shortHex(circuit.r1csSha256)} and ptau ${shortHex(circuit.ptauSha256)} (snarkjs ${Math.round(verdict.ms)} ms)`;
  } catch (err) {
    r['final.zkey'].problems.push((err as Error).message);
  }
}

async function checkOutputs(input: FinalCircuitInput, zkey: Uint8Array, snark: Snark, r: CircuitResults) {
  const output = input.plan.output;
  const compare = async (check: OutputCheck, file: OutputFile, bytes: Uint8Array, sha?: string) => {
    const published = input.published[file];
    checkOutput(r, check, file, {
      sha256: await sha256Hex(bytes),
      finalizedSha256: sha,
      publishedSha256: published === undefined ? undefined : await sha256Hex(published),
    });
  };
  try {
    const vk = verificationKeyBytes(await snark.exportVerificationKey(zkey));
    await compare('outputs.verification-key', 'verification_key.json', vk, output?.verificationKeySha256);
    const solidity = new TextEncoder().encode(await snark.exportSolidityVerifier(zkey));
    await compare('outputs.verifier', 'verifier.sol', solidity, output?.verifierSolSha256);
  } catch (err) {
    outputsFailed(r, `export failed: ${(err as Error).message}`);
  }
  outputsUnlisted(input.plan, r);
}
