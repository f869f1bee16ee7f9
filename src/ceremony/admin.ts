// Coordinator remedies: end a turn, revoke a participant, retry or remove a circuit whose setup failed.
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import { type CeremonyRow, logEntry, requireState, withCeremonyLock } from './ceremony-row.js';
import { enqueueJob } from './jobs.js';
import { refuseWithoutApprovals } from './ownership.js';
import type { Services } from './services.js';
import { revokeTokensOf } from './standing.js';
import { advanceTurns, cancelRestOfPass, expireTurn, findActiveTurns } from './turns.js';

/** Ends the active turn on a circuit at once (logged as `turn.expired`, reason `coordinator`). */
export async function expireActiveTurn(s: Services, ceremonyId: string, circuit: string): Promise<void> {
  const now = s.clock();
  await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['open'], 'expire a turn');
    const turn = (await findActiveTurns(tx, ceremonyId)).find((t) => t.circuit_name === circuit);
    if (!turn) throw new CeremonyError('NOT_FOUND', `no active turn on circuit '${circuit}'`);
    await expireTurn(tx, s, ceremonyId, turn, 'coordinator', now);
    await advanceTurns(tx, s, ceremony, now);
  });
}

/** The participant exists and is not yet revoked (checked again by every approval of a revocation). */
export async function requireRevocable(tx: Queryable, ceremony: CeremonyRow, participantId: string) {
  requireState(ceremony, ['draft', 'open', 'closed'], 'revoke a participant');
  const [row] = await tx.query<{ revoked_at: Date | null; public_key: string }>(
    'SELECT revoked_at, public_key FROM participants WHERE ceremony_id = $1 AND participant_id = $2 FOR UPDATE',
    [ceremony.id, participantId],
  );
  if (!row) throw new CeremonyError('NOT_FOUND', `no participant '${participantId}'`);
  if (row.revoked_at)
    throw new CeremonyError('WRONG_STATE', `participant '${participantId}' is already revoked`);
  return { publicKey: row.public_key };
}

/**
 * Shuts a participant out in the caller's transaction (logged as `participant.revoked`, with the approvals' seq
 * when a quorum decided it): turns ended, sessions ended; an upload in verification still ends. Returns the key,
 * whose cached sessions the caller evicts after the commit.
 */
export async function revokeParticipantInTx(
  tx: Queryable,
  s: Services,
  ceremony: CeremonyRow,
  participantId: string,
  now: Date,
  approvals?: number[],
): Promise<string> {
  const { publicKey } = await requireRevocable(tx, ceremony, participantId);
  const ceremonyId = ceremony.id;
  for (const turn of await findActiveTurns(tx, ceremonyId, participantId)) {
    await expireTurn(tx, s, ceremonyId, turn, 'coordinator', now);
  }
  await cancelRestOfPass(tx, ceremonyId, participantId, now);
  await tx.query('UPDATE participants SET revoked_at = $3 WHERE ceremony_id = $1 AND participant_id = $2', [
    ceremonyId,
    participantId,
    now,
  ]);
  // A revocation is an emergency: the key is presumed lost, so its sessions end everywhere.
  await revokeTokensOf(tx, publicKey);
  await logEntry(
    tx,
    s,
    ceremonyId,
    'participant.revoked',
    approvals ? { participantId, approvals } : { participantId },
  );
  await advanceTurns(tx, s, ceremony, now);
  return publicKey;
}

/** One coordinator revokes a participant (ceremonies that need one approval). */
export async function revokeParticipant(
  s: Services,
  ceremonyId: string,
  participantId: string,
): Promise<void> {
  const now = s.clock();
  const publicKey = await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    refuseWithoutApprovals(ceremony, 'revoke-participant');
    return revokeParticipantInTx(tx, s, ceremony, participantId, now);
  });
  s.callers.evictKey(publicKey);
}

async function requireFailedCircuit(
  tx: Queryable,
  ceremonyId: string,
  circuit: string,
): Promise<{ position: number }> {
  const [row] = await tx.query<{ status: string; position: number }>(
    'SELECT status, position FROM circuits WHERE ceremony_id = $1 AND name = $2 FOR UPDATE',
    [ceremonyId, circuit],
  );
  if (!row) throw new CeremonyError('NOT_FOUND', `no circuit '${circuit}'`);
  if (row.status !== 'failed')
    throw new CeremonyError(
      'WRONG_STATE',
      `circuit '${circuit}' is ${row.status}: only a failed setup may be retried or removed`,
    );
  return row;
}

/** Computes a failed circuit's initial zkey again (a passing fault, or a server with more memory now). */
export async function retryCircuitSetup(s: Services, ceremonyId: string, circuit: string): Promise<void> {
  await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['draft'], 'retry a circuit');
    await requireFailedCircuit(tx, ceremonyId, circuit);
    await tx.query(
      `UPDATE circuits SET status = 'preparing', error = NULL WHERE ceremony_id = $1 AND name = $2`,
      [ceremonyId, circuit],
    );
    await enqueueJob(tx, 'circuit.setup', { ceremonyId, circuit });
  });
  s.events.jobQueued();
}

/** Removes a circuit whose setup failed; it was never logged (`circuit.added` comes with the initial zkey). */
export async function removeFailedCircuit(s: Services, ceremonyId: string, circuit: string): Promise<void> {
  await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['draft'], 'remove a circuit');
    const { position } = await requireFailedCircuit(tx, ceremonyId, circuit);
    await tx.query('DELETE FROM circuits WHERE ceremony_id = $1 AND name = $2', [ceremonyId, circuit]);
    // Two steps keep positions unique at every row while the later circuits move up by one.
    await tx.query('UPDATE circuits SET position = -position WHERE ceremony_id = $1 AND position > $2', [
      ceremonyId,
      position,
    ]);
    await tx.query('UPDATE circuits SET position = -position - 1 WHERE ceremony_id = $1 AND position < 0', [
      ceremonyId,
    ]);
  });
}
