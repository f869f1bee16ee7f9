// Named queries over the jobs table: enqueue, claim the next due job, and record how a try ended.
import type { Queryable } from '../database.js';

export interface JobRow {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
}

export async function insertJob(
  tx: Queryable,
  kind: string,
  payload: Record<string, unknown>,
): Promise<void> {
  await tx.query(`INSERT INTO jobs (kind, payload, state) VALUES ($1, $2, 'queued')`, [
    kind,
    JSON.stringify(payload),
  ]);
}

/** Takes the oldest queued job whose back-off has passed; SKIP LOCKED lets several runners share the table. */
export async function claimDueJob(db: Queryable, now: Date): Promise<JobRow | undefined> {
  const rows = await db.query<JobRow>(
    `UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = $1
     WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= $1
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, kind, payload, attempts`,
    [now],
  );
  return rows[0];
}

/** Jobs left 'running' by a stop or crash go back to the queue, due at once. */
export async function requeueRunningJobs(db: Queryable, now: Date): Promise<void> {
  await db.query(
    `UPDATE jobs SET state = 'queued', run_after = $1, updated_at = $1 WHERE state = 'running'`,
    [now],
  );
}

export async function markJobDone(db: Queryable, id: number, now: Date): Promise<void> {
  await db.query(`UPDATE jobs SET state = 'done', updated_at = $2 WHERE id = $1`, [id, now]);
}

export async function scheduleJobRetry(
  db: Queryable,
  id: number,
  error: string,
  runAfter: Date,
  now: Date,
): Promise<void> {
  await db.query(
    `UPDATE jobs SET state = 'queued', last_error = $2, run_after = $3, updated_at = $4 WHERE id = $1`,
    [id, error, runAfter, now],
  );
}

export async function markJobFailed(db: Queryable, id: number, error: string, now: Date): Promise<void> {
  await db.query(`UPDATE jobs SET state = 'failed', last_error = $2, updated_at = $3 WHERE id = $1`, [
    id,
    error,
    now,
  ]);
}
