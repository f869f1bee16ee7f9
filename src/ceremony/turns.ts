// Every change to the `turns` table: queue a turn, activate the next ones, end one with an outcome, cancel the rest
// of a pass. Each takes the caller's `now`, so started_at, deadline and ended_at all read the same clock.
import type { Queryable } from '../db/database.js';
import { type CeremonyRow, logEntry } from './ceremony-row.js';
import type { Services } from './services.js';

/** Why an active turn was taken away; logged in `turn.expired`. */
export type ExpiryReason = 'deadline' | 'heartbeat' | 'left' | 'closed' | 'coordinator';
/** How a turn ends: its contribution accepted, the turn taken away, or its contribution rejected. */
export type TurnOutcome = 'done' | 'expired' | 'rejected';

export interface TurnRef {
  id: number;
  circuit_name: string;
  participant_id: string;
}

/** Queues a waiting turn at the end of the line (queue_pos comes from one sequence for the whole database). */
export async function addWaitingTurn(
  tx: Queryable,
  ceremonyId: string,
  circuit: string,
  participantId: string,
  now: Date,
): Promise<void> {
  await tx.query(
    `INSERT INTO turns (ceremony_id, circuit_name, participant_id, queue_pos, state, queued_at)
     VALUES ($1, $2, $3, nextval('queue_positions'), 'waiting', $4)`,
    [ceremonyId, circuit, participantId, now],
  );
}

/** An upload was admitted: the turn keeps the circuit while its verification job runs (no deadline applies). */
export async function markTurnVerifying(tx: Queryable, turnId: number): Promise<void> {
  await tx.query(`UPDATE turns SET state = 'verifying' WHERE id = $1`, [turnId]);
}

/** Drops the participant's waiting turns: circuits are done in order, so a failed turn ends the whole pass. */
export async function cancelRestOfPass(
  tx: Queryable,
  ceremonyId: string,
  participantId: string,
  now: Date,
): Promise<void> {
  await tx.query(
    `UPDATE turns SET state = 'cancelled', ended_at = $3
     WHERE ceremony_id = $1 AND participant_id = $2 AND state = 'waiting'`,
    [ceremonyId, participantId, now],
  );
}

/** Ends a turn; an expiry or a rejection also ends the participant's pass (joining again resumes it). */
export async function endTurn(
  tx: Queryable,
  ceremonyId: string,
  turn: Pick<TurnRef, 'id' | 'participant_id'>,
  outcome: TurnOutcome,
  now: Date,
): Promise<void> {
  await tx.query('UPDATE turns SET state = $2, ended_at = $3 WHERE id = $1', [turn.id, outcome, now]);
  if (outcome !== 'done') await cancelRestOfPass(tx, ceremonyId, turn.participant_id, now);
}

/** Ends an active turn as expired, drops the rest of the pass, and logs `turn.expired`. */
export async function expireTurn(
  tx: Queryable,
  s: Services,
  ceremonyId: string,
  turn: TurnRef,
  reason: ExpiryReason,
  now: Date,
): Promise<void> {
  await endTurn(tx, ceremonyId, turn, 'expired', now);
  await logEntry(tx, s, ceremonyId, 'turn.expired', {
    circuit: turn.circuit_name,
    participantId: turn.participant_id,
    reason,
  });
}

/** Active turns of the ceremony, or of one participant. */
export async function findActiveTurns(
  tx: Queryable,
  ceremonyId: string,
  participantId?: string,
): Promise<TurnRef[]> {
  return tx.query<TurnRef>(
    `SELECT id, circuit_name, participant_id FROM turns
     WHERE ceremony_id = $1 AND state = 'active' AND ($2::text IS NULL OR participant_id = $2)
     ORDER BY id`,
    [ceremonyId, participantId ?? null],
  );
}

export async function readTurnState(tx: Queryable, turnId: number): Promise<string | undefined> {
  const [row] = await tx.query<{ state: string }>('SELECT state FROM turns WHERE id = $1', [turnId]);
  return row?.state;
}

/** Closing the round: every active turn expires and every waiting turn is dropped. */
export async function endAllTurns(tx: Queryable, s: Services, ceremonyId: string, now: Date): Promise<void> {
  for (const turn of await findActiveTurns(tx, ceremonyId)) {
    await expireTurn(tx, s, ceremonyId, turn, 'closed', now);
  }
  await tx.query(
    `UPDATE turns SET state = 'cancelled', ended_at = $2 WHERE ceremony_id = $1 AND state = 'waiting'`,
    [ceremonyId, now],
  );
}

/**
 * Expires overdue or silent turns and hands each free circuit to the first eligible participant in line.
 * Runs inside the ceremony lock after every queue change and on a timer, so the queue cannot stall.
 */
export async function advanceTurns(
  tx: Queryable,
  s: Services,
  ceremony: CeremonyRow,
  now: Date,
): Promise<void> {
  if (ceremony.state !== 'open') return;
  // Silence while the coordinator itself was down (a crash, a restart) must not cost anyone their place.
  const graceStart = now.getTime() - s.config.heartbeatGraceSeconds * 1000;
  const staleBefore = new Date(graceStart <= s.startedAt.getTime() ? 0 : graceStart);
  const overdue = await tx.query<TurnRef & { deadline: Date }>(
    `SELECT t.id, t.circuit_name, t.participant_id, t.deadline
     FROM turns t JOIN participants p USING (ceremony_id, participant_id)
     WHERE t.ceremony_id = $1 AND t.state = 'active'
       AND (t.deadline < $2 OR p.last_seen_at IS NULL OR p.last_seen_at < $3)
     ORDER BY t.id`,
    [ceremony.id, now, staleBefore],
  );
  for (const turn of overdue) {
    await expireTurn(tx, s, ceremony.id, turn, turn.deadline < now ? 'deadline' : 'heartbeat', now);
  }
  // Participants who stopped heartbeating while waiting lose their place without holding anyone up. Only those
  // silent since the last sweep are read (index on last_seen_at), so a tick costs the same at 10,000 as at 100;
  // joining sets last_seen_at, so no waiting turn belongs to a participant never seen.
  if (ceremony.silence_swept_before === null || ceremony.silence_swept_before < staleBefore) {
    // The silent participants are read first (ARRAY is computed once), so the planner cannot walk every turn instead.
    await tx.query(
      `UPDATE turns t SET state = 'cancelled', ended_at = $2
       WHERE t.ceremony_id = $1 AND t.state = 'waiting' AND t.participant_id = ANY (ARRAY(
         SELECT p.participant_id FROM participants p
         WHERE p.ceremony_id = $1 AND p.last_seen_at >= $4 AND p.last_seen_at < $3))`,
      [ceremony.id, now, staleBefore, ceremony.silence_swept_before ?? new Date(0)],
    );
    await tx.query('UPDATE ceremonies SET silence_swept_before = $2 WHERE id = $1', [
      ceremony.id,
      staleBefore,
    ]);
  }
  if (ceremony.starts_at && now < ceremony.starts_at) return;
  if (ceremony.ends_at && now >= ceremony.ends_at) return;

  const free = await tx.query<{ name: string; position: number }>(
    `SELECT c.name, c.position FROM circuits c
     WHERE c.ceremony_id = $1 AND c.halted_reason IS NULL AND NOT EXISTS (
       SELECT 1 FROM turns t WHERE t.ceremony_id = c.ceremony_id AND t.circuit_name = c.name
         AND t.state IN ('active', 'verifying'))
     ORDER BY c.position`,
    [ceremony.id],
  );
  const deadline = new Date(now.getTime() + ceremony.timeout_seconds * 1000);
  for (const circuit of free) {
    // First in line on this circuit among those who have nothing left to do on earlier circuits.
    await tx.query(
      `UPDATE turns SET state = 'active', started_at = $3, deadline = $4
       WHERE id = (
         SELECT t.id FROM turns t
         WHERE t.ceremony_id = $1 AND t.circuit_name = $2 AND t.state = 'waiting'
           AND NOT EXISTS (
             SELECT 1 FROM turns e JOIN circuits ec ON ec.ceremony_id = e.ceremony_id AND ec.name = e.circuit_name
             WHERE e.ceremony_id = t.ceremony_id AND e.participant_id = t.participant_id
               AND e.state IN ('waiting', 'active', 'verifying') AND ec.position < $5)
         ORDER BY t.queue_pos LIMIT 1)`,
      [ceremony.id, circuit.name, now, deadline, circuit.position],
    );
  }
}
