// One upload in flight per turn, across every API process on the database: a claim row that expires unless its
// holder renews it, so an API process killed mid-upload frees the turn within `UPLOAD_CLAIM_SECONDS`.
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import type { Services } from './services.js';

export interface UploadClaim {
  /** Deletes the claim (only this holder's); the renewal stops. */
  release(): Promise<void>;
}

/**
 * Claims the turn for one upload; refuses with `UPLOAD_IN_PROGRESS` while another holder's claim is unexpired.
 * The claim is renewed every third of its life until released.
 */
export async function claimUpload(s: Services, turnId: number, busyMessage: string): Promise<UploadClaim> {
  const holder = randomBytes(9).toString('base64url');
  const lifeMs = s.config.uploadClaimSeconds * 1000;
  const expiresAt = () => new Date(s.clock().getTime() + lifeMs);
  const won = await s.db.query(
    `INSERT INTO upload_claims (turn_id, holder, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT (turn_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE upload_claims.expires_at <= $4
     RETURNING turn_id`,
    [turnId, holder, expiresAt(), s.clock()],
  );
  if (won.length === 0) throw new CeremonyError('UPLOAD_IN_PROGRESS', busyMessage);
  const renew = setInterval(() => {
    s.db
      .query('UPDATE upload_claims SET expires_at = $3 WHERE turn_id = $1 AND holder = $2', [
        turnId,
        holder,
        expiresAt(),
      ])
      .catch((err: unknown) => s.log.warn({ err, turn: turnId }, 'renewing an upload claim failed'));
  }, lifeMs / 3);
  renew.unref();
  return {
    async release() {
      clearInterval(renew);
      // A claim left behind (database away) expires on its own.
      await s.db
        .query('DELETE FROM upload_claims WHERE turn_id = $1 AND holder = $2', [turnId, holder])
        .catch((err: unknown) => s.log.warn({ err, turn: turnId }, 'releasing an upload claim failed'));
    },
  };
}

/**
 * Deletes every claim: only for the embedded database, which one process alone can open, so at its start no upload
 * can be in flight and a claim left behind belongs to a killed run.
 */
export async function clearUploadClaims(db: Queryable): Promise<void> {
  await db.query('DELETE FROM upload_claims');
}

/** Deletes claims that expired (their holder died or their turn ended); returns how many. */
export async function purgeExpiredUploadClaims(s: Services): Promise<number> {
  const rows = await s.db.query('DELETE FROM upload_claims WHERE expires_at <= $1 RETURNING turn_id', [
    s.clock(),
  ]);
  return rows.length;
}
