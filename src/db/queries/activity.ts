// Named queries behind a ceremony's activity (the pictures on its page): turn times and verification times.
import type { Queryable } from '../database.js';

export interface TurnTimeRow {
  circuit_name: string;
  state: string;
  queued_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
}

/** The newest `limit` turns of a ceremony, oldest first. */
export async function selectTurnTimes(
  db: Queryable,
  ceremonyId: string,
  limit: number,
): Promise<TurnTimeRow[]> {
  return db.query<TurnTimeRow>(
    `SELECT circuit_name, state, queued_at, started_at, ended_at FROM (
       SELECT id, circuit_name, state, queued_at, started_at, ended_at FROM turns
       WHERE ceremony_id = $1 ORDER BY id DESC LIMIT $2
     ) newest ORDER BY id`,
    [ceremonyId, limit],
  );
}

export interface VerifyTimeRow {
  circuit_name: string;
  idx: number;
  state: string;
  created_at: Date;
  decided_at: Date | null;
  verify_ms: number | null;
}

/** The newest `limit` uploaded contributions of a ceremony, oldest first, with how long each took to verify. */
export async function selectVerifyTimes(
  db: Queryable,
  ceremonyId: string,
  limit: number,
): Promise<VerifyTimeRow[]> {
  return db.query<VerifyTimeRow>(
    `SELECT circuit_name, idx, state, created_at, decided_at, verify_ms FROM (
       SELECT circuit_name, idx, state, created_at, decided_at, verify_ms FROM contributions
       WHERE ceremony_id = $1 ORDER BY created_at DESC LIMIT $2
     ) newest ORDER BY created_at`,
    [ceremonyId, limit],
  );
}
