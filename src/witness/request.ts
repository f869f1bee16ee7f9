// The body of a tlog-witness add-checkpoint request: `old N`, up to 63 base64 proof lines, an empty line, a signed
// checkpoint. Parsed strictly: a body two witnesses could read differently is refused.
import { decodeBase64 } from '../transcript/note.js';

export const MAX_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Uint8Array[];
  /** The signed checkpoint note, signatures included. */
  note: string;
}

/** Why a request body cannot be read; answered with 400. */
export class MalformedRequest extends Error {}

export function parseAddCheckpointRequest(body: string): AddCheckpointRequest {
  const blank = body.indexOf('\n\n');
  if (blank < 0) throw new MalformedRequest('add-checkpoint: no empty line before the checkpoint');
  const [oldLine, ...proofLines] = body.slice(0, blank).split('\n');
  const match = /^old (0|[1-9][0-9]*)$/.exec(oldLine ?? '');
  const oldSize = Number(match?.[1]);
  if (!match || !Number.isSafeInteger(oldSize))
    throw new MalformedRequest(
      'add-checkpoint: the first line must be "old N" (N decimal, no leading zeros)',
    );
  if (proofLines.length > MAX_PROOF_LINES)
    throw new MalformedRequest(`add-checkpoint: more than ${MAX_PROOF_LINES} consistency proof lines`);
  const proof = proofLines.map((line) => {
    const hash = decodeBase64(line);
    if (hash?.length !== 32)
      throw new MalformedRequest('add-checkpoint: a proof line is not base64 of 32 bytes');
    return hash;
  });
  return { oldSize, proof, note: body.slice(blank + 2) };
}

/** The request body a log sends (the inverse of parseAddCheckpointRequest). */
export function formatAddCheckpointRequest(
  oldSize: number,
  proof: readonly Uint8Array[],
  note: string,
): string {
  const lines = [`old ${oldSize}`, ...proof.map((hash) => btoa(String.fromCharCode(...hash)))];
  return `${lines.join('\n')}\n\n${note}`;
}
