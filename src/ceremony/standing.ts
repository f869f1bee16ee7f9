// A participant's standing in a ceremony: revoked by a coordinator, or cooling down after leaving the queue.
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import type { Services } from './services.js';
import type { Participant } from './types.js';

/** Seconds still to wait before rejoining, or null when the participant may join now. */
export function rejoinWaitSeconds(leftAt: Date | null, now: Date, cooldownSeconds: number): number | null {
  if (leftAt === null) return null;
  const waitMs = leftAt.getTime() + cooldownSeconds * 1000 - now.getTime();
  return waitMs > 0 ? Math.ceil(waitMs / 1000) : null;
}

/** Bounds the transcript entries one key can cause: each leave with a turn held logs `turn.expired`. */
export async function refuseEarlyRejoin(
  tx: Queryable,
  s: Services,
  p: Participant,
  now: Date,
): Promise<void> {
  const [row] = await tx.query<{ left_at: Date | null }>(
    'SELECT left_at FROM participants WHERE ceremony_id = $1 AND participant_id = $2',
    [p.ceremonyId, p.participantId],
  );
  const wait = rejoinWaitSeconds(row?.left_at ?? null, now, s.config.rejoinCooldownSeconds);
  if (wait !== null) {
    throw new CeremonyError('RATE_LIMITED', `you left the queue recently: join again in ${wait} s`, {
      retryAfterSeconds: wait,
    });
  }
}

export async function recordLeave(tx: Queryable, p: Participant, now: Date): Promise<void> {
  await tx.query('UPDATE participants SET left_at = $3 WHERE ceremony_id = $1 AND participant_id = $2', [
    p.ceremonyId,
    p.participantId,
    now,
  ]);
}

/** Every session of the key ends at once (emergency revocation); the caller cache is evicted after the commit. */
export async function revokeTokensOf(tx: Queryable, publicKey: string): Promise<void> {
  await tx.query('DELETE FROM auth_tokens WHERE public_key = $1', [publicKey]);
}

/**
 * A signal that aborts once the participant is revoked: looked up after each committed change of the ceremony (in
 * this process, and in others as their notifications arrive), so an upload in flight ends at once. `stop` when done.
 */
export function watchRevocation(s: Services, p: Participant): { signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
  let checking = false;
  let again = false;
  const check = async (): Promise<void> => {
    if (controller.signal.aborted) return;
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        await refuseRevoked(s.db, p);
      } while (again && !controller.signal.aborted);
    } catch (err) {
      // A database away for a moment is not a revocation; the next change looks again.
      if (err instanceof CeremonyError && err.code === 'FORBIDDEN') controller.abort(err);
    } finally {
      checking = false;
    }
  };
  const unsubscribe = s.changes.subscribeCeremony(p.ceremonyId, () => void check());
  return { signal: controller.signal, stop: unsubscribe };
}

export async function refuseRevoked(db: Queryable, p: Participant): Promise<void> {
  const [row] = await db.query<{ revoked_at: Date | null }>(
    'SELECT revoked_at FROM participants WHERE ceremony_id = $1 AND participant_id = $2',
    [p.ceremonyId, p.participantId],
  );
  if (row?.revoked_at)
    throw new CeremonyError(
      'FORBIDDEN',
      `a coordinator revoked this key's part in ceremony '${p.ceremonyId}'`,
    );
}
