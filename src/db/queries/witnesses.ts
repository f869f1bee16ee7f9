// Named queries over what the coordinator knows of its witnesses: their heads and the cosignatures they returned.
import type { Queryable } from '../database.js';

export interface WitnessHeadRow {
  witness: string;
  held_size: number;
  cosigned_size: number;
  refusal: string | null;
}

export async function selectWitnessHeads(db: Queryable, ceremonyId: string): Promise<WitnessHeadRow[]> {
  return db.query<WitnessHeadRow>(
    'SELECT witness, held_size, cosigned_size, refusal FROM witness_heads WHERE ceremony_id = $1',
    [ceremonyId],
  );
}

/** Records what a witness holds; `cosignedSize` only ever grows. */
export async function upsertWitnessHead(
  db: Queryable,
  ceremonyId: string,
  witness: string,
  head: { heldSize: number; cosignedSize: number; refusal: string | null },
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO witness_heads (ceremony_id, witness, held_size, cosigned_size, refusal, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (ceremony_id, witness) DO UPDATE SET held_size = EXCLUDED.held_size,
       cosigned_size = GREATEST(witness_heads.cosigned_size, EXCLUDED.cosigned_size),
       refusal = EXCLUDED.refusal, updated_at = EXCLUDED.updated_at`,
    [ceremonyId, witness, head.heldSize, head.cosignedSize, head.refusal, now],
  );
}

export async function insertWitnessCosignature(
  db: Queryable,
  ceremonyId: string,
  size: number,
  witness: string,
  line: string,
): Promise<void> {
  await db.query(
    `INSERT INTO witness_cosignatures (ceremony_id, tree_size, witness, line) VALUES ($1, $2, $3, $4)
     ON CONFLICT (ceremony_id, tree_size, witness) DO UPDATE SET line = EXCLUDED.line`,
    [ceremonyId, size, witness, line],
  );
}

export async function selectWitnessCosignatureLines(
  db: Queryable,
  ceremonyId: string,
  size: number,
): Promise<string[]> {
  const rows = await db.query<{ line: string }>(
    'SELECT line FROM witness_cosignatures WHERE ceremony_id = $1 AND tree_size = $2 ORDER BY witness',
    [ceremonyId, size],
  );
  return rows.map((r) => r.line);
}

/**
 * Ceremonies whose latest checkpoint some of `witnesses` has not cosigned, and that no live witness job serves:
 * the sweep queues a job for each (after a crash, or once a witness that was down may be back).
 */
export async function selectUnwitnessedCeremonies(
  db: Queryable,
  witnesses: readonly string[],
): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT c.ceremony_id AS id FROM (
       SELECT ceremony_id, max(tree_size) AS size FROM checkpoints GROUP BY ceremony_id) c
     WHERE EXISTS (
       SELECT 1 FROM unnest($1::text[]) w(key) LEFT JOIN witness_heads h
         ON h.ceremony_id = c.ceremony_id AND h.witness = w.key
       WHERE coalesce(h.cosigned_size, 0) < c.size)
     AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'witness.cosign' AND j.state IN ('queued', 'running')
       AND j.payload->>'ceremonyId' = c.ceremony_id)`,
    [witnesses],
  );
  return rows.map((r) => r.id);
}

/** Queues a witness job for the ceremony unless one is already queued (a queued job reads the latest checkpoint). */
export async function insertWitnessJobUnlessQueued(db: Queryable, ceremonyId: string): Promise<boolean> {
  const rows = await db.query<{ id: number }>(
    `INSERT INTO jobs (kind, payload, state)
     SELECT 'witness.cosign', $1::jsonb, 'queued'
     WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = 'witness.cosign' AND state = 'queued'
       AND payload->>'ceremonyId' = $2)
     RETURNING id`,
    [JSON.stringify({ ceremonyId }), ceremonyId],
  );
  return rows.length > 0;
}

/** Per ceremony: the latest size and, per witness, the newest size it cosigned (for the lag metric and /readyz). */
export async function selectWitnessStanding(db: Queryable): Promise<
  {
    ceremony_id: string;
    size: number;
    witness: string | null;
    cosigned_size: number | null;
    refusal: string | null;
  }[]
> {
  return db.query(
    `SELECT c.ceremony_id, c.size, h.witness, h.cosigned_size, h.refusal FROM (
       SELECT ceremony_id, max(tree_size) AS size FROM checkpoints GROUP BY ceremony_id) c
     LEFT JOIN witness_heads h ON h.ceremony_id = c.ceremony_id`,
  );
}
