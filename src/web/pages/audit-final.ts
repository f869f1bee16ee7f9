// The audit's final.* and outputs.* checks in the browser, for ceremonies whose circuits are all within the size this
// server lets a browser handle (WEB_CONTRIBUTE_MAX_CONSTRAINTS). The page fetches each circuit's final zkey, r1cs
// and ptau (each matched to the SHA-256 the transcript names) and its published outputs; the audit worker runs
// the checks with the rules of `ceremony verify` (src/verify/final-rules.ts).
import type { CeremonyView } from '../../ceremony/types.js';
import {
  type CircuitResults,
  type FinalPlan,
  finalBlocked,
  finalPlans,
  finalVerdicts,
  type OutputFile,
  repeatedBeacon,
} from '../../verify/final-rules.js';
import type { Ledger } from '../../verify/ledger.js';
import { type ArtifactRef, describeArtifact } from '../../verify/sources.js';
import { type CheckResult, FINAL_CHECKS, shortHex } from '../../verify/types.js';
import { ceremonyPath, getJson } from '../api.js';
import type { FinalCircuitInput } from '../audit/final-circuit.js';
import { runFinalCircuit } from '../audit/worker-client.js';
import { sha256Hex } from '../contribute/worker-client.js';

export interface FinalInBrowser {
  /** The final.* and outputs.* checks, when this page ran them (none before finalization). */
  results: CheckResult[];
  /** Why it did not (a circuit above the bound), for the note naming the checks left to the CLI. */
  reason: string | undefined;
}

const circuitFile = (id: string, circuit: string, name: string) =>
  ceremonyPath(id, `/circuits/${encodeURIComponent(circuit)}/${name}`);

/** A file the transcript names, once its SHA-256 is the one named; else an error saying why, as the CLI's. */
async function fetchArtifact(id: string, ref: ArtifactRef, sha256: string): Promise<Uint8Array> {
  const what = describeArtifact(ref);
  const path = ref.kind === 'zkey' ? `zkeys/${ref.index}` : ref.kind;
  const url = `${location.origin}${circuitFile(id, ref.circuit, path)}`;
  const res = await fetch(url).catch((err: Error) => {
    throw new Error(`the ${what} could not be read: ${err.message}`);
  });
  if (res.status === 404) throw new Error(`the ${what} is not available from ${location.origin}`);
  if (!res.ok) throw new Error(`the ${what} could not be read: the server answered HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const actual = await sha256Hex(bytes.buffer);
  if (actual !== sha256)
    throw new Error(
      `the ${what} from ${url} has SHA-256 ${shortHex(actual)}, the transcript names ${shortHex(sha256)}`,
    );
  return bytes;
}

/** A published output; undefined when it is not published or cannot be read (the check then says so). */
async function fetchPublished(
  id: string,
  circuit: string,
  file: OutputFile,
): Promise<Uint8Array | undefined> {
  const res = await fetch(circuitFile(id, circuit, file)).catch(() => undefined);
  if (!res?.ok) return undefined;
  return new Uint8Array(await res.arrayBuffer());
}

const problemOf = (err: unknown) => ({ problem: (err as Error).message });

async function inputOf(id: string, plan: FinalPlan, finalizedSeq: number): Promise<FinalCircuitInput> {
  const name = plan.circuit.circuit;
  const finalSha = plan.output?.finalZkeySha256 ?? plan.beacon?.zkeySha256;
  const zkey =
    finalSha === undefined
      ? { problem: 'the transcript names no final zkey' }
      : await fetchArtifact(id, { circuit: name, kind: 'zkey', index: 'final' }, finalSha).catch(problemOf);
  let inputs: FinalCircuitInput['inputs'];
  try {
    inputs = {
      r1cs: await fetchArtifact(id, { circuit: name, kind: 'r1cs' }, plan.circuit.r1csSha256),
      ptau: await fetchArtifact(id, { circuit: name, kind: 'ptau' }, plan.circuit.ptauSha256),
    };
  } catch (err) {
    inputs = problemOf(err);
  }
  return {
    plan,
    finalizedSeq,
    zkey,
    inputs,
    published: {
      'verification_key.json': await fetchPublished(id, name, 'verification_key.json'),
      'verifier.sol': await fetchPublished(id, name, 'verifier.sol'),
    },
  };
}

export async function checkFinalInBrowser(
  id: string,
  ledger: Ledger,
  progress: (message: string) => void,
): Promise<FinalInBrowser> {
  const { facts } = ledger;
  const blocked = finalBlocked(facts);
  // Before ceremony.finalized the checks do not apply yet: the page's note says so instead of six skips.
  if (blocked?.status === 'skip') return { results: [], reason: undefined };
  if (blocked) return { results: FINAL_CHECKS.map((name) => ({ name, ...blocked })), reason: undefined };
  const view = await getJson<CeremonyView>(ceremonyPath(id));
  const max = view.webContributeMaxConstraints ?? 0;
  const big = facts.circuits.filter((c) => c.constraints > max);
  if (big.length > 0)
    return {
      results: [],
      reason: `circuit ${big.map((c) => c.circuit).join(', ')} is larger than the ${max.toLocaleString()} constraints this page checks`,
    };
  const { plans, unknown } = finalPlans(facts);
  const perCircuit: [string, CircuitResults][] = [];
  for (const plan of plans) {
    const name = plan.circuit.circuit;
    progress(`fetching the final zkey, r1cs and ptau of ${name}`);
    const input = await inputOf(id, plan, facts.finalized?.seq ?? 0);
    progress(`checking ${name}: snarkjs verify, the proofs of knowledge, the beacon and the exports`);
    const results = await runFinalCircuit(input);
    repeatedBeacon(facts, plan, results);
    perCircuit.push([name, results]);
  }
  const verdicts = finalVerdicts(perCircuit, unknown);
  return { results: FINAL_CHECKS.map((name) => ({ name, ...verdicts[name] })), reason: undefined };
}
