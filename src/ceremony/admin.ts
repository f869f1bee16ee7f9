// Coordinator remedies: end a turn, revoke a participant, retry or remove a circuit whose setup failed.
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import { logEntry, requireState, withCeremonyLock } from './ceremony-row.js';
import { enqueueJob } from './jobs.js';
import type { Services } from './services.js';
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

/** Shuts a participant out of the ceremony (logged as `participant.revoked`); an upload in verification still ends. */
export async function revokeParticipant(
  s: Services,
  ceremonyId: string,
  participantId: string,
): Promise<void> {
  const now = s.clock();
  await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['draft', 'open', 'closed'], 'revoke a participant');
    const [row] = await tx.query<{ revoked_at: Date | null }>(
      'SELECT revoked_at FROM participants WHERE ceremony_id = $1 AND participant_id = $2 FOR UPDATE',
      [ceremonyId, participantId],
    );
    if (!row) throw new CeremonyError('NOT_FOUND', `no participant '${participantId}'`);
    if (row.revoked_at)
      throw new CeremonyError('WRONG_STATE', `participant '${participantId}' is already revoked`);
    for (const turn of await findActiveTurns(tx, ceremonyId, participantId)) {
      await expireTurn(tx, s, ceremonyId, turn, 'coordinator', now);
    }
    await cancelRestOfPass(tx, ceremonyId, participantId, now);
    await tx.query('UPDATE participants SET revoked_at = $3 WHERE ceremony_id = $1 AND participant_id = $2', [
      ceremonyId,
      participantId,
      now,
    ]);
    await logEntry(tx, s, ceremonyId, 'participant.revoked', { participantId });
    await advanceTurns(tx, s, ceremony, now);
  });
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
