// The witness quorum (C2SP tlog-cosignature/v1 by witnesses the auditor lists): the latest checkpoint, and with a
// receipt the receipt's, must carry valid cosignatures from at least `quorum` distinct listed witnesses. Pure: the
// CLI and the web page's audit run it unchanged.
import { parseCheckpoint, parseNote } from '../transcript/note.js';
import { type CosignerKey, findCosignature, parseCosignerKey } from '../witness/cosigner-key.js';
import { fail, pass, skip, type Verdict } from './types.js';

export interface WitnessQuorumInput {
  /** Cosigner vkeys the auditor trusts (`--witness`), and how many of them must cosign (`--witness-quorum`). */
  witnesses: readonly string[];
  quorum: number;
  /** The latest checkpoint note as served. */
  latest: string | undefined;
  /** Every published checkpoint note (the history), for the newest size each witness cosigned. */
  notes: Iterable<string>;
  /** The checkpoint note of each receipt checked. */
  receiptCheckpoints?: readonly string[];
}

/** Which listed witnesses validly cosigned the body of `note`, looking also at published notes with the same body. */
function cosignersOf(
  note: string,
  keys: readonly CosignerKey[],
  sameBody: ReadonlyMap<string, string[]>,
): Set<string> {
  const { body, signatures } = parseNote(note);
  const lines = [...signatures.map((s) => s.line), ...(sameBody.get(body) ?? [])];
  return new Set(keys.filter((k) => findCosignature(body, lines, k) !== null).map((k) => k.vkey));
}

export function checkWitnessQuorum(input: WitnessQuorumInput): Verdict {
  if (input.witnesses.length === 0) return skip('no witnesses given (--witness VKEY, --witness-quorum K)');
  let keys: CosignerKey[];
  try {
    keys = input.witnesses.map(parseCosignerKey);
  } catch (err) {
    return fail(`a --witness key does not parse: ${(err as Error).message}`);
  }
  if (new Set(keys.map((k) => k.vkey)).size !== keys.length) return fail('a witness is listed twice');
  if (!Number.isInteger(input.quorum) || input.quorum < 1 || input.quorum > keys.length)
    return fail(`--witness-quorum must be from 1 to the ${keys.length} witness(es) given`);
  if (input.latest === undefined) return fail('no checkpoint to check the witness quorum on');

  // Lines by body, so a cosignature published on any copy of a checkpoint counts for that checkpoint.
  const sameBody = new Map<string, string[]>();
  const newest = new Map<string, number>();
  for (const note of [...input.notes, input.latest]) {
    let parsed: ReturnType<typeof parseNote>;
    try {
      parsed = parseNote(note);
    } catch {
      continue; // checkpoint.* reports notes that do not parse
    }
    const lines = sameBody.get(parsed.body) ?? [];
    lines.push(...parsed.signatures.map((s) => s.line));
    sameBody.set(parsed.body, lines);
    const size = parseCheckpoint(parsed.body).size;
    for (const key of keys) {
      if (findCosignature(parsed.body, lines, key) !== null)
        newest.set(key.vkey, Math.max(size, newest.get(key.vkey) ?? 0));
    }
  }
  const named = keys
    .map(
      (k) =>
        `${k.name} ${newest.has(k.vkey) ? `cosigned up to size ${newest.get(k.vkey)}` : 'cosigned nothing'}`,
    )
    .join(', ');
  const problems: string[] = [];
  const latest = cosignersOf(input.latest, keys, sameBody);
  const latestSize = parseCheckpoint(parseNote(input.latest).body).size;
  if (latest.size < input.quorum)
    problems.push(
      `the latest checkpoint (size ${latestSize}) has ${latest.size} of ${input.quorum} witness cosignatures`,
    );
  for (const checkpoint of input.receiptCheckpoints ?? []) {
    try {
      const receipt = cosignersOf(checkpoint, keys, sameBody);
      const size = parseCheckpoint(parseNote(checkpoint).body).size;
      if (receipt.size < input.quorum)
        problems.push(
          `the receipt's checkpoint (size ${size}) has ${receipt.size} of ${input.quorum} witness cosignatures`,
        );
    } catch (err) {
      problems.push(`the receipt's checkpoint does not parse: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) return fail(`${problems.join('; ')} (${named})`);
  return pass(
    `${latest.size} of ${keys.length} witness(es) cosigned the latest checkpoint, quorum ${input.quorum} (${named})`,
  );
}

/** The checkpoint notes the receipts' JSON carry (the receipt check reports a malformed receipt). */
export function receiptCheckpointsOf(receipts: string | readonly string[] | undefined): string[] {
  const list = receipts === undefined ? [] : typeof receipts === 'string' ? [receipts] : receipts;
  return list.flatMap((r) => {
    const checkpoint = receiptCheckpointOf(r);
    return checkpoint === undefined ? [] : [checkpoint];
  });
}

function receiptCheckpointOf(receipt: string): string | undefined {
  try {
    const checkpoint = (JSON.parse(receipt) as { checkpoint?: unknown }).checkpoint;
    return typeof checkpoint === 'string' ? checkpoint : undefined;
  } catch {
    return undefined;
  }
}
