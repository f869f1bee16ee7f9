// The queue and its turns: who may extend which circuit now, and how a silent or slow participant loses the turn.
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import {
  type CeremonyRow,
  loadCeremony,
  logEntry,
  requireState,
  type Services,
  withCeremonyLock,
} from './services.js';
import type { Participant, ParticipantCircuitStatus, ParticipantStatus } from './types.js';

export type ExpiryReason = 'deadline' | 'heartbeat' | 'left' | 'closed';

interface TurnRef {
  id: number;
  circuit_name: string;
  participant_id: string;
}

/** Ends an active turn, logs `turn.expired`, and drops the participant's later turns of this pass. */
export async function expireTurn(
  tx: Queryable,
  s: Services,
  ceremonyId: string,
  turn: TurnRef,
  reason: ExpiryReason,
): Promise<void> {
  await tx.query(`UPDATE turns SET state = 'expired', ended_at = now() WHERE id = $1`, [turn.id]);
  await tx.query(
    `UPDATE turns SET state = 'cancelled', ended_at = now()
     WHERE ceremony_id = $1 AND participant_id = $2 AND state = 'waiting'`,
    [ceremonyId, turn.participant_id],
  );
  await logEntry(tx, s, ceremonyId, 'turn.expired', {
    circuit: turn.circuit_name,
    participantId: turn.participant_id,
    reason,
  });
}

/**
 * Expires overdue or silent turns and hands each free circuit to the first eligible participant in line.
 * Runs inside the ceremony lock after every queue change and on a timer, so the queue cannot stall.
 */
export async function advanceQueue(
  tx: Queryable,
  s: Services,
  ceremony: CeremonyRow,
  now = new Date(),
): Promise<void> {
  if (ceremony.state !== 'open') return;
  // Silence while the coordinator itself was down (a crash, a restart) must not cost anyone their place.
  const graceStart = now.getTime() - s.config.heartbeatGraceSeconds * 1000;
  const staleBefore = new Date(graceStart < s.startedAt.getTime() ? 0 : graceStart);
  const overdue = await tx.query<TurnRef & { deadline: Date; last_seen_at: Date | null }>(
    `SELECT t.id, t.circuit_name, t.participant_id, t.deadline, p.last_seen_at
     FROM turns t JOIN participants p USING (ceremony_id, participant_id)
     WHERE t.ceremony_id = $1 AND t.state = 'active'
       AND (t.deadline < $2 OR p.last_seen_at IS NULL OR p.last_seen_at < $3)`,
    [ceremony.id, now, staleBefore],
  );
  for (const turn of overdue) {
    await expireTurn(tx, s, ceremony.id, turn, turn.deadline < now ? 'deadline' : 'heartbeat');
  }
  // Participants who stopped heartbeating while waiting lose their place without holding anyone up.
  await tx.query(
    `UPDATE turns t SET state = 'cancelled', ended_at = $2 FROM participants p
     WHERE t.ceremony_id = $1 AND t.state = 'waiting' AND p.ceremony_id = t.ceremony_id
       AND p.participant_id = t.participant_id AND (p.last_seen_at IS NULL OR p.last_seen_at < $3)`,
    [ceremony.id, now, staleBefore],
  );
  if (ceremony.starts_at && now < ceremony.starts_at) return;
  if (ceremony.ends_at && now >= ceremony.ends_at) return;

  const free = await tx.query<{ name: string; position: number }>(
    `SELECT c.name, c.position FROM circuits c
     WHERE c.ceremony_id = $1 AND NOT EXISTS (
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

export async function findParticipantByKey(
  db: Queryable,
  ceremonyId: string,
  publicKey: string,
): Promise<Participant | undefined> {
  const rows = await db.query<{ participant_id: string; name: string; public_key: string }>(
    'SELECT participant_id, name, public_key FROM participants WHERE ceremony_id = $1 AND public_key = $2',
    [ceremonyId, publicKey],
  );
  const row = rows[0];
  return row && { ceremonyId, participantId: row.participant_id, name: row.name, publicKey: row.public_key };
}

export async function requireParticipant(
  db: Queryable,
  ceremonyId: string,
  publicKey: string,
): Promise<Participant> {
  await loadCeremony(db, ceremonyId);
  const participant = await findParticipantByKey(db, ceremonyId, publicKey);
  if (!participant)
    throw new CeremonyError('FORBIDDEN', `this key is not a participant of ceremony '${ceremonyId}'`);
  return participant;
}

/** Queues the participant for every circuit they have not yet contributed to (idempotent). */
export async function joinQueue(s: Services, p: Participant): Promise<ParticipantStatus> {
  await withCeremonyLock(s, p.ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['open'], 'join the queue');
    await tx.query(
      'UPDATE participants SET last_seen_at = $3 WHERE ceremony_id = $1 AND participant_id = $2',
      [p.ceremonyId, p.participantId, new Date()],
    );
    const todo = await tx.query<{ name: string }>(
      `SELECT c.name FROM circuits c WHERE c.ceremony_id = $1
         AND NOT EXISTS (SELECT 1 FROM contributions k WHERE k.ceremony_id = c.ceremony_id
                         AND k.circuit_name = c.name AND k.participant_id = $2 AND k.state = 'accepted')
         AND NOT EXISTS (SELECT 1 FROM turns t WHERE t.ceremony_id = c.ceremony_id AND t.circuit_name = c.name
                         AND t.participant_id = $2 AND t.state IN ('waiting', 'active', 'verifying'))
       ORDER BY c.position`,
      [p.ceremonyId, p.participantId],
    );
    for (const circuit of todo) {
      await tx.query(
        `INSERT INTO turns (ceremony_id, circuit_name, participant_id, queue_pos, state)
         VALUES ($1, $2, $3, nextval('queue_positions'), 'waiting')`,
        [p.ceremonyId, circuit.name, p.participantId],
      );
    }
    await advanceQueue(tx, s, ceremony);
  });
  return participantStatus(s, p);
}

export async function leaveQueue(s: Services, p: Participant): Promise<ParticipantStatus> {
  await withCeremonyLock(s, p.ceremonyId, async (tx, ceremony) => {
    const active = await tx.query<TurnRef>(
      `SELECT id, circuit_name, participant_id FROM turns
       WHERE ceremony_id = $1 AND participant_id = $2 AND state = 'active'`,
      [p.ceremonyId, p.participantId],
    );
    for (const turn of active) await expireTurn(tx, s, p.ceremonyId, turn, 'left');
    await tx.query(
      `UPDATE turns SET state = 'cancelled', ended_at = now()
       WHERE ceremony_id = $1 AND participant_id = $2 AND state = 'waiting'`,
      [p.ceremonyId, p.participantId],
    );
    await advanceQueue(tx, s, ceremony);
  });
  return participantStatus(s, p);
}

export async function heartbeat(s: Services, p: Participant): Promise<ParticipantStatus> {
  await s.db.query(
    'UPDATE participants SET last_seen_at = $3 WHERE ceremony_id = $1 AND participant_id = $2',
    [p.ceremonyId, p.participantId, new Date()],
  );
  return participantStatus(s, p);
}

/** Runs the queue of every open ceremony: the timer that makes deadlines and heartbeats bite. */
export async function tickQueues(s: Services): Promise<void> {
  const open = await s.db.query<{ id: string }>(`SELECT id FROM ceremonies WHERE state = 'open'`);
  for (const { id } of open) await withCeremonyLock(s, id, (tx, ceremony) => advanceQueue(tx, s, ceremony));
}

interface StatusRow {
  circuit: string;
  latest_index: number;
  latest_zkey_sha256: string | null;
  turn_state: 'waiting' | 'active' | 'verifying' | null;
  deadline: Date | null;
  ahead: number | null;
  accepted_id: string | null;
  verifying_id: string | null;
  rejection_code: string | null;
  rejection_message: string | null;
}

export async function participantStatus(s: Services, p: Participant): Promise<ParticipantStatus> {
  const rows = await s.db.query<StatusRow>(
    `SELECT c.name AS circuit, c.contribution_index AS latest_index, c.latest_zkey_sha256,
       t.state AS turn_state, t.deadline,
       CASE WHEN t.state = 'waiting' THEN
         (SELECT count(*)::int FROM turns o WHERE o.ceremony_id = c.ceremony_id AND o.circuit_name = c.name
            AND (o.state IN ('active', 'verifying') OR (o.state = 'waiting' AND o.queue_pos < t.queue_pos)))
         WHEN t.state IS NOT NULL THEN 0 END AS ahead,
       (SELECT k.id FROM contributions k WHERE k.ceremony_id = c.ceremony_id AND k.circuit_name = c.name
          AND k.participant_id = $2 AND k.state = 'accepted' LIMIT 1) AS accepted_id,
       (SELECT k.id FROM contributions k WHERE k.ceremony_id = c.ceremony_id AND k.circuit_name = c.name
          AND k.participant_id = $2 AND k.state = 'verifying' LIMIT 1) AS verifying_id,
       r.reason_code AS rejection_code, r.reason_message AS rejection_message
     FROM circuits c
     LEFT JOIN turns t ON t.ceremony_id = c.ceremony_id AND t.circuit_name = c.name AND t.participant_id = $2
       AND t.state IN ('waiting', 'active', 'verifying')
     LEFT JOIN LATERAL (SELECT reason_code, reason_message FROM contributions k
       WHERE k.ceremony_id = c.ceremony_id AND k.circuit_name = c.name AND k.participant_id = $2
         AND k.state = 'rejected' ORDER BY k.created_at DESC LIMIT 1) r ON true
     WHERE c.ceremony_id = $1 ORDER BY c.position`,
    [p.ceremonyId, p.participantId],
  );
  const circuits: ParticipantCircuitStatus[] = rows.map((r) => ({
    circuit: r.circuit,
    state: r.turn_state ?? (r.accepted_id ? 'done' : 'none'),
    position: r.ahead,
    deadline: r.turn_state === 'active' ? (r.deadline?.toISOString() ?? null) : null,
    latestIndex: r.latest_index,
    latestZkeySha256: r.latest_zkey_sha256,
    contributionId: r.verifying_id ?? r.accepted_id,
    lastRejection: r.rejection_code ? { code: r.rejection_code, message: r.rejection_message ?? '' } : null,
  }));
  return {
    participantId: p.participantId,
    name: p.name,
    publicKey: p.publicKey,
    inQueue: circuits.some((c) => c.state === 'waiting' || c.state === 'active' || c.state === 'verifying'),
    heartbeatIntervalSeconds: s.config.heartbeatIntervalSeconds,
    circuits,
  };
}
