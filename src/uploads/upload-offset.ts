// How many bytes of a participant's cut upload the server holds in their current turn: where a resume starts.
import type { Services } from '../ceremony/services.js';
import type { Participant } from '../ceremony/types.js';
import { CeremonyError } from '../errors.js';

export async function uploadOffset(
  s: Services,
  p: Participant,
  circuit: string,
): Promise<{ circuit: string; offset: number }> {
  const [turn] = await s.db.query<{ id: number }>(
    `SELECT id FROM turns WHERE ceremony_id = $1 AND circuit_name = $2 AND participant_id = $3 AND state = 'active'`,
    [p.ceremonyId, circuit, p.participantId],
  );
  if (!turn) throw new CeremonyError('NOT_YOUR_TURN', `it is not your turn on circuit '${circuit}'`);
  return { circuit, offset: await s.uploads.offsetOf(turn.id) };
}

/** Drops the cut uploads of turns that ended (accepted, rejected, expired, revoked); returns how many. */
export async function dropEndedUploads(s: Services): Promise<number> {
  return s.uploads.dropEnded(async (turnIds) => {
    const rows = await s.db.query<{ id: number }>(
      `SELECT id FROM turns WHERE id = ANY($1::bigint[]) AND state = 'active'`,
      [turnIds],
    );
    return new Set(rows.map((r) => Number(r.id)));
  });
}
