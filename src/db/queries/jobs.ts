// Named queries over the jobs table: enqueue, lease the next due job, keep the lease, and record how a try ended.
// Every write by a lease holder is fenced by the lease token its claim returned: once the lease passed to another
// worker, the old holder's writes match no row.
import type { Queryable } from '../database.js';

export interface JobRow {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  /** Bumped by every claim: the fence of this holder's writes. */
  lease_token: number;
}

/** Which lease a write must still hold. */
export interface JobLease {
  id: number;
  token: number;
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

/**
 * Leases the oldest job that is queued and due, or running under a lease that expired (its worker died); SKIP
 * LOCKED lets many workers share the table. A job whose lease expired counts the lost try as an attempt.
 */
export async function claimDueJob(
  db: Queryable,
  workerId: string,
  now: Date,
  leaseUntil: Date,
): Promise<JobRow | undefined> {
  const rows = await db.query<JobRow>(
    `UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = $1, lease_until = $3,
       worker_id = $2, lease_token = lease_token + 1
     WHERE id = (SELECT id FROM jobs
                 WHERE (state = 'queued' AND run_after <= $1) OR (state = 'running' AND lease_until <= $1)
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, kind, payload, attempts, lease_token`,
    [now, workerId, leaseUntil],
  );
  return rows[0];
}

/** Extends a lease this worker still holds; false once it was lost (expired and taken, or settled). */
export async function renewJobLease(db: Queryable, lease: JobLease, leaseUntil: Date): Promise<boolean> {
  const rows = await db.query(
    `UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING id`,
    [lease.id, lease.token, leaseUntil],
  );
  return rows.length === 1;
}

/** Locks the job row in the caller's transaction if the lease is still held: a verdict commits only under it. */
export async function holdsJobLease(tx: Queryable, lease: JobLease): Promise<boolean> {
  const rows = await tx.query(
    `SELECT id FROM jobs WHERE id = $1 AND lease_token = $2 AND state = 'running' FOR UPDATE`,
    [lease.id, lease.token],
  );
  return rows.length === 1;
}

/** A stopping worker hands its job back, due at once, without counting the interrupted try. */
export async function releaseJobLease(db: Queryable, lease: JobLease, now: Date): Promise<boolean> {
  const rows = await db.query(
    `UPDATE jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), run_after = $3, updated_at = $3,
       lease_until = NULL, worker_id = NULL
     WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING id`,
    [lease.id, lease.token, now],
  );
  return rows.length === 1;
}

/**
 * Frees every lease at once: only for the embedded database, where one process is the only worker there can be,
 * so a 'running' row at its start was cut short by a stop or crash.
 */
export async function expireAllJobLeases(db: Queryable, now: Date): Promise<void> {
  await db.query(`UPDATE jobs SET lease_until = $1 WHERE state = 'running'`, [now]);
}

export async function markJobDone(db: Queryable, lease: JobLease, now: Date): Promise<boolean> {
  const rows = await db.query(
    `UPDATE jobs SET state = 'done', updated_at = $3, lease_until = NULL
     WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING id`,
    [lease.id, lease.token, now],
  );
  return rows.length === 1;
}

export async function scheduleJobRetry(
  db: Queryable,
  lease: JobLease,
  error: string,
  runAfter: Date,
  now: Date,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE jobs SET state = 'queued', last_error = $3, run_after = $4, updated_at = $5, lease_until = NULL,
       worker_id = NULL
     WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING id`,
    [lease.id, lease.token, error, runAfter, now],
  );
  return rows.length === 1;
}

export async function markJobFailed(
  db: Queryable,
  lease: JobLease,
  error: string,
  now: Date,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE jobs SET state = 'failed', last_error = $3, updated_at = $4, lease_until = NULL
     WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING id`,
    [lease.id, lease.token, error, now],
  );
  return rows.length === 1;
}
