// The queue as participants see it: join, leave, heartbeat, their status, and the timer that keeps it moving.
// The turn transitions themselves live in turns.ts.
import { requireState, withCeremonyLock } from './ceremony-row.js';
import type { Services } from './services.js';
import { recordLeave, refuseEarlyRejoin } from './standing.js';
import { addWaitingTurn, advanceTurns, cancelRestOfPass, expireTurn, findActiveTurns } from './turns.js';
import type { Participant, ParticipantStatus } from './types.js';

/** Queues the participant for every circuit they have not yet contributed to (idempotent). */
export async function joinQueue(s: Services, p: Participant): Promise<ParticipantStatus> {
  const now = s.clock();
  await withCeremonyLock(s, p.ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['open'], 'join the queue');
    await refuseEarlyRejoin(tx, s, p, now);
    await tx.query(
      'UPDATE participants SET last_seen_at = $3 WHERE ceremony_id = $1 AND participant_id = $2',
      [p.ceremonyId, p.participantId, now],
    );
    const todo = await tx.query<{ name: string }>(
      `SELECT c.name FROM circuits c WHERE c.ceremony_id = $1
         AND NOT EXISTS (SELECT 1 FROM contributions k WHERE k.ceremony_id = c.ceremony_id
                         AND k.circuit_name = c.name AND k.participant_id = $2 AND k.state = 'accepted'
                         AND k.voided_seq IS NULL)
         AND NOT EXISTS (SELECT 1 FROM turns t WHERE t.ceremony_id = c.ceremony_id AND t.circuit_name = c.name
                         AND t.participant_id = $2 AND t.state IN ('waiting', 'active', 'verifying'))
       ORDER BY c.position`,
      [p.ceremonyId, p.participantId],
    );
    for (const circuit of todo) await addWaitingTurn(tx, p.ceremonyId, circuit.name, p.participantId, now);
    await advanceTurns(tx, s, ceremony, now);
  });
  return participantStatus(s, p);
}

export async function leaveQueue(s: Services, p: Participant): Promise<ParticipantStatus> {
  const now = s.clock();
  await withCeremonyLock(s, p.ceremonyId, async (tx, ceremony) => {
    const active = await findActiveTurns(tx, p.ceremonyId, p.participantId);
    const waiting = await tx.query(
      `SELECT 1 FROM turns WHERE ceremony_id = $1 AND participant_id = $2 AND state = 'waiting' LIMIT 1`,
      [p.ceremonyId, p.participantId],
    );
    for (const turn of active) await expireTurn(tx, s, p.ceremonyId, turn, 'left', now);
    await cancelRestOfPass(tx, p.ceremonyId, p.participantId, now);
    if (active.length + waiting.length > 0) await recordLeave(tx, p, now);
    await advanceTurns(tx, s, ceremony, now);
  });
  return participantStatus(s, p);
}

export async function heartbeat(s: Services, p: Participant): Promise<ParticipantStatus> {
  await s.db.query(
    'UPDATE participants SET last_seen_at = $3 WHERE ceremony_id = $1 AND participant_id = $2',
    [p.ceremonyId, p.participantId, s.clock()],
  );
  return participantStatus(s, p);
}

/** Runs the queue of every open ceremony: the timer that makes deadlines and heartbeats bite. */
export async function tickQueues(s: Services): Promise<void> {
  const open = await s.db.query<{ id: string }>(`SELECT id FROM ceremonies WHERE state = 'open'`);
  const now = s.clock();
  for (const { id } of open) {
    await withCeremonyLock(s, id, (tx, ceremony) => advanceTurns(tx, s, ceremony, now));
  }
}

/** Queue position, turn and contributions per circuit, from the status board (no count per read). */
export async function participantStatus(s: Services, p: Participant): Promise<ParticipantStatus> {
  return s.board.participantStatus(p.ceremonyId, p);
}
