// `--receipt FILE`: a participant's receipt (docs/ARCHITECTURE.md "Receipt") still holds against today's log:
// the entry is the one the transcript has at that seq, its inclusion proof leads to a checkpoint signed by the
// log key, and the log grew from that checkpoint to today's without rewriting it.
import type { Receipt } from '../ceremony/types.js';
import { fromHex, isHex, toHex } from '../crypto/hex.js';
import { decodeEntryLine } from '../transcript/entry.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../transcript/merkle.js';
import { parseCheckpoint, verifyNote } from '../transcript/note.js';
import type { Ledger } from './ledger.js';
import { describeRollback } from './log-checks.js';
import { keyLabel, type LogKeys } from './log-keys.js';
import { fail, pass, skip, type Verdict } from './types.js';

/** The receipt the coordinator hands out (src/ceremony/types.ts), as read back from a participant's file. */
type ReceiptJson = Receipt;

/** The receipt's shape, or why it has none. */
function parseReceipt(text: string): ReceiptJson | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the receipt is not JSON';
  }
  const r = value as Partial<ReceiptJson> | null;
  if (typeof r !== 'object' || r === null) return 'the receipt is not a JSON object';
  if (r.version !== 1) return `unsupported receipt version ${String(r.version)}`;
  for (const key of ['ceremony', 'circuit', 'entry', 'leafHash', 'checkpoint', 'logKey'] as const) {
    if (typeof r[key] !== 'string') return `the receipt's ${key} is not a string`;
  }
  for (const key of ['index', 'seq', 'treeSize'] as const) {
    if (!Number.isSafeInteger(r[key]) || (r[key] as number) < 0)
      return `the receipt's ${key} is not an integer >= 0`;
  }
  if (!Array.isArray(r.inclusionProof) || !r.inclusionProof.every((h) => isHex(h, 32))) {
    return "the receipt's inclusionProof is not a list of 32-byte hex hashes";
  }
  return r as ReceiptJson;
}

export interface ReceiptCheckInput {
  ledger: Ledger;
  receipt: string | undefined;
  keys: LogKeys;
  readProof: (from: number, to: number) => Promise<string[] | undefined>;
}

export async function checkReceipt(input: ReceiptCheckInput): Promise<Verdict> {
  const { ledger, keys } = input;
  if (input.receipt === undefined) return skip('no receipt given (--receipt FILE)');
  const r = parseReceipt(input.receipt);
  if (typeof r === 'string') return fail(r);
  if (r.ceremony !== ledger.ceremonyId)
    return fail(`the receipt is for ceremony '${r.ceremony}', not '${ledger.ceremonyId}'`);
  const leaf = leafHash(new TextEncoder().encode(r.entry));
  if (toHex(leaf) !== r.leafHash) return fail("the receipt's leafHash is not SHA-256(0x00 ‖ entry)");
  const published = ledger.lines[r.seq];
  if (!published || published.line !== r.entry) {
    const rollback = describeRollback(ledger, r.seq + 1);
    if (rollback) return fail(`the receipt's entry ${r.seq} is lost: ${rollback}`);
  }
  if (!published) return fail(`the transcript has no entry ${r.seq}`);
  if (published.line !== r.entry)
    return fail(`the receipt's entry differs from the transcript's entry ${r.seq}`);
  let entry: ReturnType<typeof decodeEntryLine>['entry'];
  try {
    entry = decodeEntryLine(r.entry).entry;
  } catch (err) {
    return fail(`the receipt's entry is not canonical: ${(err as Error).message}`);
  }
  if (
    entry.type !== 'contribution.accepted' ||
    entry.body.circuit !== r.circuit ||
    entry.body.index !== r.index
  ) {
    return fail(`entry ${r.seq} is not the acceptance of contribution #${r.index} to ${r.circuit}`);
  }
  // The receipt's checkpoint answers to the key the log names for its size, whatever key came later.
  const logKey = keys.keyFor(r.treeSize);
  if (logKey === undefined) return fail('no log key is published to check the receipt against');
  if (r.logKey.trim() !== logKey)
    return fail(
      `the receipt names another log key than the ceremony's for size ${r.treeSize} (${keyLabel(logKey)})`,
    );
  let checkpoint: ReturnType<typeof parseCheckpoint>;
  try {
    checkpoint = parseCheckpoint(verifyNote(r.checkpoint, logKey).body);
  } catch (err) {
    return fail(`the receipt's checkpoint is not signed by the log key: ${(err as Error).message}`);
  }
  if (checkpoint.size !== r.treeSize)
    return fail(`the receipt's checkpoint is for size ${checkpoint.size}, not ${r.treeSize}`);
  if (!checkpoint.origin.endsWith(`/ceremonies/${ledger.ceremonyId}`))
    return fail(`the receipt's checkpoint is for log ${checkpoint.origin}`);
  const proof = r.inclusionProof.map((h) => fromHex(h, 32));
  if (r.seq >= r.treeSize || !verifyInclusion(leaf, r.seq, r.treeSize, proof, checkpoint.rootHash)) {
    return fail(
      `the inclusion proof of entry ${r.seq} does not lead to the root of the receipt's checkpoint`,
    );
  }
  const id = entry.body.participantId;
  const name = typeof id === 'string' ? ledger.facts.participants.get(id)?.name : undefined;
  const by = typeof id === 'string' ? ` by ${id}${name ? ` (${name})` : ''}` : '';
  // Still in the log, so the receipt holds; but it no longer counts, and its holder should know.
  const voided = ledger.facts.voided.some((v) => v.seq === r.seq)
    ? ledger.facts.rewinds.find(
        (w) => w.seq > r.seq && w.circuit === r.circuit && w.voidedIndexes.includes(r.index),
      )
    : undefined;
  const note = voided ? `, voided by the rewind at entry ${voided.seq}` : '';
  return checkGrowth(
    input,
    r,
    checkpoint.rootHash,
    `contribution #${r.index} to ${r.circuit}${by} (entry ${r.seq}${note})`,
  );
}

/** The receipt's tree is a prefix of today's: same root over its first treeSize leaves, and the coordinator's proof. */
async function checkGrowth(
  input: ReceiptCheckInput,
  r: ReceiptJson,
  root: Uint8Array,
  what: string,
): Promise<Verdict> {
  const { ledger } = input;
  const n = ledger.lines.length;
  if (r.treeSize > n)
    return fail(`the receipt's checkpoint covers ${r.treeSize} entries, the transcript only ${n}`);
  if (toHex(ledger.tree.root(r.treeSize)) !== toHex(root)) {
    return fail(
      `the transcript's first ${r.treeSize} entries are not the tree the receipt's checkpoint signed`,
    );
  }
  let proofNote = '';
  if (r.treeSize < n) {
    const proof = await input.readProof(r.treeSize, n).catch(() => undefined);
    if (proof !== undefined) {
      const hashes = proof.every((h) => isHex(h, 32)) ? proof.map((h) => fromHex(h, 32)) : undefined;
      if (!hashes || !verifyConsistency(r.treeSize, n, root, ledger.root, hashes)) {
        return fail(`the coordinator's consistency proof from ${r.treeSize} to ${n} does not verify`);
      }
      proofNote = ' (consistency proof verified)';
    }
  }
  return pass(
    `${what} is in the signed tree of size ${r.treeSize}, and the log grew consistently to ${n}${proofNote}`,
  );
}
