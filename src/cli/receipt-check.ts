// The receipt check the CLI and the web page share: pure, no file system, so the page's bundle runs it unchanged.
import type { Receipt } from '../ceremony/types.js';
import { fromHex, isHex, toHex } from '../crypto/hex.js';
import { leafHash, verifyInclusion } from '../transcript/merkle.js';
import { parseCheckpoint, verifyNote } from '../transcript/note.js';

export interface ExpectedReceipt {
  ceremony: string;
  circuit: string;
  index: number;
  /** Checked when known (always, except when resuming an upload made by an earlier run). */
  zkeySha256?: string;
  contributionHash?: string;
}

export interface CheckedReceipt {
  treeSize: number;
  /** The checkpoint note's body (origin, size, root), as signed. */
  checkpointBody: string;
  zkeySha256: string;
  contributionHash: string;
}

interface AcceptedEntry {
  ceremony?: unknown;
  seq?: unknown;
  type?: unknown;
  body?: { circuit?: unknown; index?: unknown; zkeySha256?: unknown; contributionHash?: unknown };
}

/**
 * Checks that the receipt proves our contribution: the entry is the accepted contribution we expect, its leaf is
 * included under the checkpoint's root, and the checkpoint is signed by the receipt's log key. Throws on any failure.
 */
export function checkReceipt(receipt: Receipt, expected: ExpectedReceipt): CheckedReceipt {
  const fail = (why: string) => new Error(`checkReceipt: ${why}`);
  if (typeof receipt !== 'object' || receipt === null || typeof receipt.entry !== 'string')
    throw fail('not a receipt');
  let entry: AcceptedEntry;
  try {
    entry = JSON.parse(receipt.entry) as AcceptedEntry;
  } catch {
    throw fail('the entry is not JSON');
  }
  const body = entry.body ?? {};
  if (entry.type !== 'contribution.accepted')
    throw fail(`the entry is a ${String(entry.type)}, not contribution.accepted`);
  if (
    entry.ceremony !== expected.ceremony ||
    body.circuit !== expected.circuit ||
    body.index !== expected.index
  ) {
    throw fail(
      `the entry is not contribution #${expected.index} to ${expected.ceremony}/${expected.circuit}`,
    );
  }
  if (
    entry.seq !== receipt.seq ||
    receipt.ceremony !== expected.ceremony ||
    receipt.circuit !== expected.circuit ||
    receipt.index !== expected.index
  ) {
    throw fail('the receipt fields disagree with its entry');
  }
  if (!isHex(body.zkeySha256, 32) || !isHex(body.contributionHash, 64))
    throw fail('the entry lacks its hashes');
  if (expected.zkeySha256 !== undefined && body.zkeySha256 !== expected.zkeySha256) {
    throw fail(`the entry names zkey ${body.zkeySha256}, we uploaded ${expected.zkeySha256}`);
  }
  if (expected.contributionHash !== undefined && body.contributionHash !== expected.contributionHash) {
    throw fail('the entry names another contribution hash than ours');
  }
  const leaf = leafHash(new TextEncoder().encode(receipt.entry));
  if (!isHex(receipt.leafHash, 32) || receipt.leafHash !== toHex(leaf)) {
    throw fail('the leaf hash does not match the entry');
  }
  let checkpointBody: string;
  try {
    checkpointBody = verifyNote(receipt.checkpoint, receipt.logKey).body;
  } catch (err) {
    throw fail(`the checkpoint signature does not verify against the log key: ${(err as Error).message}`);
  }
  let checkpoint: ReturnType<typeof parseCheckpoint>;
  try {
    checkpoint = parseCheckpoint(checkpointBody);
  } catch (err) {
    throw fail((err as Error).message);
  }
  const { size: treeSize, rootHash: root, origin } = checkpoint;
  if (treeSize !== receipt.treeSize)
    throw fail(`the checkpoint is for size ${treeSize}, the receipt says ${receipt.treeSize}`);
  if (!origin.endsWith(`/ceremonies/${expected.ceremony}`)) throw fail(`the checkpoint is for log ${origin}`);
  if (!Array.isArray(receipt.inclusionProof) || !receipt.inclusionProof.every((h) => isHex(h, 32))) {
    throw fail('the inclusion proof is malformed');
  }
  const proof = receipt.inclusionProof.map((h) => fromHex(h, 32));
  if (!Number.isSafeInteger(receipt.seq) || !verifyInclusion(leaf, receipt.seq, treeSize, proof, root)) {
    throw fail('the inclusion proof does not lead to the checkpoint root');
  }
  return { treeSize, checkpointBody, zkeySha256: body.zkeySha256, contributionHash: body.contributionHash };
}
