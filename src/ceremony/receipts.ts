// Receipts for accepted contributions, and the participants' cosignatures of the checkpoints that hold them.
import * as q from '../db/queries/transcript.js';
import { CeremonyError } from '../errors.js';
import { cosignedCheckpoint, proveInclusion } from '../transcript/log.js';
import { parseNote, verifyCosignature } from '../transcript/note.js';
import type { Services } from './services.js';
import type { Participant, Receipt } from './types.js';

/** The entry, its inclusion proof and the newest signed checkpoint: enough to prove the entry is in the log. */
export async function buildReceipt(
  s: Services,
  ceremonyId: string,
  circuit: string,
  index: number,
  seq: number,
): Promise<Receipt> {
  // One snapshot, so the proof and the checkpoint describe the same tree.
  return s.db.transaction(async (tx) => {
    const entry = await q.selectEntry(tx, ceremonyId, seq);
    const checkpoint = await q.selectLatestCheckpoint(tx, ceremonyId);
    if (!entry || !checkpoint)
      throw new CeremonyError('INTERNAL', `entry ${seq} of ${ceremonyId} is missing`);
    return {
      version: 1 as const,
      ceremony: ceremonyId,
      circuit,
      index,
      seq,
      entry: entry.line,
      leafHash: entry.leaf_hash,
      treeSize: checkpoint.tree_size,
      inclusionProof: await proveInclusion(tx, ceremonyId, seq, checkpoint.tree_size),
      // With any witness or participant cosignature already collected for that size.
      checkpoint: (await cosignedCheckpoint(tx, ceremonyId, checkpoint.tree_size)) ?? checkpoint.note,
      logKey: s.signer.verifierKey,
    };
  });
}

/** The key name a participant cosigns under (C2SP names hold no spaces or '+'). */
export function cosignerName(participantId: string): string {
  return `participant-${participantId}`;
}

/** Stores a participant's tlog-cosignature/v1 line for a checkpoint, after verifying it with their key. */
export async function addCosignature(
  s: Services,
  p: Participant,
  input: { treeSize: number; signature: string },
): Promise<{ treeSize: number; timestamp: number }> {
  const row = await q.selectCheckpoint(s.db, p.ceremonyId, input.treeSize);
  if (!row) throw new CeremonyError('NOT_FOUND', `no checkpoint of size ${input.treeSize}`);
  const { body } = parseNote(row.note);
  const line = input.signature.endsWith('\n') ? input.signature : `${input.signature}\n`;
  const verified = verifyCosignature(
    body,
    line,
    cosignerName(p.participantId),
    Buffer.from(p.publicKey, 'hex'),
  );
  if (!verified) {
    throw new CeremonyError(
      'BAD_COSIGNATURE',
      `not a cosignature of checkpoint ${input.treeSize} by ${cosignerName(p.participantId)}`,
    );
  }
  await q.upsertCosignature(s.db, p.ceremonyId, input.treeSize, p.participantId, line.trimEnd());
  s.events.ceremonyChanged(p.ceremonyId);
  return { treeSize: input.treeSize, timestamp: verified.timestamp };
}
