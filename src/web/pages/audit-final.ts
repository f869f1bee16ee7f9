// The audit's final.zkey check in the browser, for ceremonies whose circuits are all within the size this server
// lets a browser handle (WEB_CONTRIBUTE_MAX_CONSTRAINTS): the published final zkey, r1cs and ptau, each matched
// to the SHA-256 the transcript names, then snarkjs `zkey verify` (verifyFromR1cs) in the worker.
import type { CeremonyView } from '../../ceremony/types.js';
import type { Ledger } from '../../verify/ledger.js';
import type { CheckResult } from '../../verify/types.js';
import { ceremonyPath, getJson } from '../api.js';
import { sha256Hex, verifyFinalZkey } from '../contribute/worker-client.js';

export interface FinalInBrowser {
  /** The final.zkey check, when this page ran it. */
  result: CheckResult | undefined;
  /** Why it did not (a circuit above the bound), for the note naming the checks left to the CLI. */
  reason: string | undefined;
}

async function fetchChecked(url: string, sha256: string, what: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${what}: the server answered HTTP ${res.status}`);
  const bytes = await res.arrayBuffer();
  if ((await sha256Hex(bytes)) !== sha256)
    throw new Error(`${what} differs from the SHA-256 in the transcript`);
  return bytes;
}

export async function checkFinalInBrowser(id: string, ledger: Ledger): Promise<FinalInBrowser> {
  const { finalized, circuits } = ledger.facts;
  if (!finalized) return { result: undefined, reason: undefined };
  const view = await getJson<CeremonyView>(ceremonyPath(id));
  const max = view.webContributeMaxConstraints ?? 0;
  const big = circuits.filter((c) => c.constraints > max);
  if (big.length > 0)
    return {
      result: undefined,
      reason: `circuit ${big.map((c) => c.circuit).join(', ')} is larger than the ${max.toLocaleString()} constraints this page verifies`,
    };
  const problems: string[] = [];
  const shown: string[] = [];
  for (const output of finalized.outputs) {
    const circuit = circuits.find((c) => c.circuit === output.circuit);
    if (!circuit) {
      problems.push(`${output.circuit}: not added in the transcript`);
      continue;
    }
    const file = (name: string) =>
      ceremonyPath(id, `/circuits/${encodeURIComponent(circuit.circuit)}/${name}`);
    try {
      const zkey = await fetchChecked(
        file('zkeys/final'),
        output.finalZkeySha256,
        `${circuit.circuit} final zkey`,
      );
      const r1cs = await fetchChecked(file('r1cs'), circuit.r1csSha256, `${circuit.circuit} r1cs`);
      const ptau = await fetchChecked(file('ptau'), circuit.ptauSha256, `${circuit.circuit} ptau`);
      const verdict = await verifyFinalZkey(zkey, r1cs, ptau);
      if (verdict.verified)
        shown.push(
          `${circuit.circuit} verifies against its r1cs and ptau (snarkjs ${Math.round(verdict.ms)} ms)`,
        );
      else problems.push(`${circuit.circuit}: snarkjs verification failed`);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return {
    result: {
      name: 'final.zkey',
      status: problems.length === 0 ? 'pass' : 'fail',
      detail: problems.length === 0 ? shown.join('; ') : problems.join('; '),
    },
    reason: undefined,
  };
}
