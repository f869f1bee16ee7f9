// The append-only transcript of a ceremony: entries, Merkle nodes and signed checkpoints, written together
// inside the caller's transaction so that a state change and its entry commit or vanish as one.

import { fromHex, toHex } from '../crypto/hex.js';
import type { Queryable } from '../db/database.js';
import * as q from '../db/queries/transcript.js';
import { CeremonyError } from '../errors.js';
import type { JsonValue } from './canonical-json.js';
import { type EntryType, encodeEntry, formatEntryTime, GENESIS_PREV } from './entry.js';
import type { LogSigner } from './log-key.js';
import {
  consistencyProof,
  type Hash,
  inclusionProof,
  type NodeReader,
  nodesCompletedByAppend,
  treeRoot,
} from './merkle.js';
import { addSignatureLines, formatCheckpoint, signNote } from './note.js';

export interface AppendedEntry {
  seq: number;
  line: string;
  leafHash: string;
  treeSize: number;
  checkpoint: string;
}

/** Reads stored perfect-subtree hashes, remembering what it read for the rest of the call. */
function nodeReader(db: Queryable, ceremonyId: string): NodeReader {
  const cache = new Map<string, Hash>();
  return async (level, index) => {
    const key = `${level}/${index}`;
    let hash = cache.get(key);
    if (hash === undefined) {
      hash = fromHex(await q.selectNode(db, ceremonyId, level, index), 32);
      cache.set(key, hash);
    }
    return hash;
  };
}

/**
 * Appends one entry and signs the checkpoint of the grown tree. The caller must hold the ceremony's row lock
 * (SELECT … FOR UPDATE) so that sequence numbers have no gaps and no forks.
 */
export async function appendEntry(
  tx: Queryable,
  signer: LogSigner,
  ceremonyId: string,
  type: EntryType,
  body: { [key: string]: JsonValue },
  now: Date = new Date(),
): Promise<AppendedEntry> {
  const last = await q.selectLastEntry(tx, ceremonyId);
  const seq = last === undefined ? 0 : last.seq + 1;
  const encoded = encodeEntry({
    v: 1,
    ceremony: ceremonyId,
    seq,
    type,
    time: formatEntryTime(now),
    prev: last?.leaf_hash ?? GENESIS_PREV,
    body,
  });
  const leafHashHex = toHex(encoded.leafHash);
  await q.insertEntry(tx, ceremonyId, { seq, type, line: encoded.line, leaf_hash: leafHashHex });

  const read = nodeReader(tx, ceremonyId);
  const previous = await q.selectLatestCheckpoint(tx, ceremonyId);
  if ((previous?.tree_size ?? 0) !== seq) {
    throw new CeremonyError(
      'INCONSISTENT_CHECKPOINT',
      `log of ${ceremonyId} has ${seq} entries but its checkpoint ${previous?.tree_size}`,
    );
  }
  // Refuse to sign a tree that does not extend the last signed one: two inconsistent checkpoints must never exist.
  if (previous !== undefined && toHex(await treeRoot(seq, read)) !== previous.root_hash) {
    throw new CeremonyError(
      'INCONSISTENT_CHECKPOINT',
      `stored tree of ${ceremonyId} no longer matches its checkpoint`,
    );
  }
  const nodes = await nodesCompletedByAppend(seq, encoded.leafHash, read);
  await q.insertNodes(
    tx,
    ceremonyId,
    nodes.map((n) => ({ level: n.level, index: n.index, hash: toHex(n.hash) })),
  );
  const treeSize = seq + 1;
  const root = await treeRoot(treeSize, read);
  const checkpointBody = formatCheckpoint({
    origin: signer.originOf(ceremonyId),
    size: treeSize,
    rootHash: root,
  });
  const checkpoint = signNote(checkpointBody, signer.name, signer.key);
  await q.insertCheckpoint(tx, ceremonyId, { tree_size: treeSize, root_hash: toHex(root), note: checkpoint });
  return { seq, line: encoded.line, leafHash: leafHashHex, treeSize, checkpoint };
}

export async function proveInclusion(
  db: Queryable,
  ceremonyId: string,
  seq: number,
  size: number,
): Promise<string[]> {
  const proof = await inclusionProof(seq, size, nodeReader(db, ceremonyId));
  return proof.map(toHex);
}

export async function proveConsistency(
  db: Queryable,
  ceremonyId: string,
  from: number,
  to: number,
): Promise<string[]> {
  const proof = await consistencyProof(from, to, nodeReader(db, ceremonyId));
  return proof.map(toHex);
}

/** A checkpoint note with the coordinator's signature and every participant cosignature collected for it. */
export async function cosignedCheckpoint(
  db: Queryable,
  ceremonyId: string,
  size?: number,
): Promise<string | undefined> {
  const row =
    size === undefined
      ? await q.selectLatestCheckpoint(db, ceremonyId)
      : await q.selectCheckpoint(db, ceremonyId, size);
  if (row === undefined) return undefined;
  const lines = await q.selectCosignatureLines(db, ceremonyId, row.tree_size);
  return lines.length === 0 ? row.note : addSignatureLines(row.note, lines);
}
