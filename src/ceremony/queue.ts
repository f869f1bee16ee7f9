// The queue as participants see it: join, leave, heartbeat, their status, and the timer that keeps it moving.
// The turn transitions themselves live in turns.ts.
import { requireState, withCeremonyLock } from './ceremony-row.js';
import type { Services } from './services.js';
import { addWaitingTurn, advanceTurns, cancelRestOfPass, expireTurn, findActiveTurns } from './turns.js';
import type { Participant, ParticipantCircuitStatus, ParticipantStatus } from './types.js';

/** Queues the participant for every circuit they have not yet contributed to (idempotent). */
export async function joinQueue(s: Services, p: Participant): Promise<ParticipantStatus> {
  const now = s.clock();
  await withCeremonyLock(s, p.ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['open'], 'join the queue');
    await tx.query(
      'UPDATE participants SET last_seen_at = $3 WHERE ceremony_id = $1 AND participant_id = $2',
      [p.ceremonyId, p.participantId, now],
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
    for (const circuit of todo) await addWaitingTurn(tx, p.ceremonyId, circuit.name, p.participantId, now);
    await advanceTurns(tx, s, ceremony, now);
  });
  return participantStatus(s, p);
}

export async function leaveQueue(s: Services, p: Participant): Promise<ParticipantStatus> {
  const now = s.clock();
  await withCeremonyLock(s, p.ceremonyId, async (tx, ceremony) => {
    for (const turn of await findActiveTurns(tx, p.ceremonyId, p.participantId)) {
      await expireTurn(tx, s, p.ceremonyId, turn, 'left', now);
    }
    await cancelRestOfPass(tx, p.ceremonyId, p.participantId, now);
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
