// The log's side of tlog-witness add-checkpoint: one request to one witness, its answer read into what the log does
// next (store the cosignature, resend from the size the witness holds, or report a refusal).
import { toHex } from '../crypto/hex.js';
import { findCosignature } from './cosigner-key.js';
import { formatAddCheckpointRequest } from './request.js';
import type { WitnessEndpoint } from './witness-list.js';

export type SubmitResult =
  | { kind: 'cosigned'; line: string; timestamp: number }
  | { kind: 'conflict'; heldSize: number }
  | { kind: 'refused'; status: number; reason: string }
  | { kind: 'unreachable'; reason: string };

// A witness answer is a few signature lines; anything longer is not read.
const MAX_ANSWER_BYTES = 64 * 1024;

export async function submitCheckpoint(
  witness: WitnessEndpoint,
  request: { oldSize: number; proof: readonly Uint8Array[]; note: string; checkpointBody: string },
  timeoutMs: number,
): Promise<SubmitResult> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${witness.url}/add-checkpoint`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: formatAddCheckpointRequest(request.oldSize, request.proof, request.note),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    return { kind: 'unreachable', reason: (err as Error).message };
  }
  if (text.length > MAX_ANSWER_BYTES) return { kind: 'unreachable', reason: 'answer too long' };
  if (response.status === 200) {
    const lines = text.split('\n').filter((line) => line !== '');
    const found = findCosignature(request.checkpointBody, lines, witness.key);
    return found === null
      ? { kind: 'unreachable', reason: 'the answer holds no valid cosignature by its key' }
      : { kind: 'cosigned', line: found.line, timestamp: found.timestamp };
  }
  if (response.status === 409 && /^(0|[1-9][0-9]*)\n$/.test(text))
    return { kind: 'conflict', heldSize: Number(text.trim()) };
  if ([400, 403, 404, 409, 422].includes(response.status))
    return { kind: 'refused', status: response.status, reason: text.trim().slice(0, 200) };
  return { kind: 'unreachable', reason: `HTTP ${response.status}` };
}

export function witnessLabel(witness: WitnessEndpoint): string {
  return `${witness.key.name}+${toHex(witness.key.publicKey).slice(0, 8)}`;
}
