// Named queries behind the operator's gauges, read at scrape time. Ages use the database's clock.
import type { Queryable } from '../database.js';

export interface QueueRow {
  ceremony_id: string;
  circuit_name: string;
  waiting: number;
  oldest_wait_seconds: number;
}

/** Turns waiting per circuit of open ceremonies, and how long the first in line has waited. */
export async function selectQueueStats(db: Queryable): Promise<QueueRow[]> {
  return db.query<QueueRow>(
    `SELECT t.ceremony_id, t.circuit_name, count(*)::int AS waiting,
            extract(epoch FROM now() - min(t.queued_at))::float8 AS oldest_wait_seconds
     FROM turns t JOIN ceremonies c ON c.id = t.ceremony_id
     WHERE t.state = 'waiting' AND c.state = 'open'
     GROUP BY t.ceremony_id, t.circuit_name`,
  );
}

export interface HeldTurnRow {
  ceremony_id: string;
  circuit_name: string;
  state: 'active' | 'verifying';
  age_seconds: number;
  overdue_seconds: number;
}

/** The turn holding each circuit: its age, and how far past its deadline it is (0 when not). */
export async function selectHeldTurns(db: Queryable): Promise<HeldTurnRow[]> {
  return db.query<HeldTurnRow>(
    `SELECT ceremony_id, circuit_name, state,
            coalesce(extract(epoch FROM now() - started_at), 0)::float8 AS age_seconds,
            greatest(coalesce(extract(epoch FROM now() - deadline), 0), 0)::float8 AS overdue_seconds
     FROM turns WHERE state IN ('active', 'verifying')`,
  );
}

export interface JobStatsRow {
  kind: string;
  state: 'queued' | 'running' | 'failed';
  jobs: number;
  oldest_seconds: number;
}

/** Jobs not done, per kind and state, with the age of the oldest. */
export async function selectJobStats(db: Queryable): Promise<JobStatsRow[]> {
  return db.query<JobStatsRow>(
    `SELECT kind, state, count(*)::int AS jobs, extract(epoch FROM now() - min(created_at))::float8 AS oldest_seconds
     FROM jobs WHERE state IN ('queued', 'running', 'failed') GROUP BY kind, state`,
  );
}

export interface CheckpointHeadRow {
  ceremony_id: string;
  tree_size: number;
}

export async function selectCheckpointHeads(db: Queryable): Promise<CheckpointHeadRow[]> {
  return db.query<CheckpointHeadRow>(
    'SELECT ceremony_id, max(tree_size)::int AS tree_size FROM checkpoints GROUP BY ceremony_id',
  );
}

/** Seconds since the checkpoint of `treeSize` was signed, or undefined if there is none. */
export async function selectCheckpointAge(
  db: Queryable,
  ceremonyId: string,
  treeSize: number,
): Promise<number | undefined> {
  const [row] = await db.query<{ age_seconds: number }>(
    `SELECT extract(epoch FROM now() - created_at)::float8 AS age_seconds
     FROM checkpoints WHERE ceremony_id = $1 AND tree_size = $2`,
    [ceremonyId, treeSize],
  );
  return row?.age_seconds;
}

/** When the turn that just ended started (the newest turn of this participant on this circuit). */
export async function selectTurnStart(
  db: Queryable,
  ceremonyId: string,
  circuit: string,
  participantId: string,
): Promise<Date | undefined> {
  const [row] = await db.query<{ started_at: Date | null }>(
    `SELECT started_at FROM turns WHERE ceremony_id = $1 AND circuit_name = $2 AND participant_id = $3
     ORDER BY id DESC LIMIT 1`,
    [ceremonyId, circuit, participantId],
  );
  return row?.started_at ?? undefined;
}
