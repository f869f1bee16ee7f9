// Reads a ceremony's activity for its page, bounded to the newest ACTIVITY_MAX_ITEMS turns and uploads.
import type { Services } from '../ceremony/services.js';
import { selectTurnTimes, selectVerifyTimes } from '../db/queries/activity.js';
import type { ActivityView } from './types.js';

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export async function readActivity(
  s: Pick<Services, 'db' | 'board' | 'config'>,
  ceremonyId: string,
): Promise<ActivityView> {
  await s.board.view(ceremonyId); // NOT_FOUND for a ceremony that does not exist
  const limit = s.config.activityMaxItems;
  // One more than the bound tells whether older rows were left out.
  const [turns, uploads] = await Promise.all([
    selectTurnTimes(s.db, ceremonyId, limit + 1),
    selectVerifyTimes(s.db, ceremonyId, limit + 1),
  ]);
  const truncated = turns.length > limit || uploads.length > limit;
  return {
    ceremony: ceremonyId,
    now: new Date().toISOString(),
    truncated,
    turns: turns.slice(-limit).map((t) => ({
      circuit: t.circuit_name,
      state: t.state,
      queuedAt: t.queued_at.toISOString(),
      startedAt: iso(t.started_at),
      endedAt: iso(t.ended_at),
    })),
    verifications: uploads.slice(-limit).map((c) => ({
      circuit: c.circuit_name,
      index: c.idx,
      state: c.state,
      uploadedAt: c.created_at.toISOString(),
      decidedAt: iso(c.decided_at),
      verifyMs: c.verify_ms,
    })),
  };
}
