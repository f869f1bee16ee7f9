// Named queries over the transcript tables: entries, Merkle nodes, checkpoints, cosignatures.
import type { Queryable } from '../database.js';

export interface EntryRow {
  seq: number;
  type: string;
  line: string;
  leaf_hash: string;
}

export async function selectLastEntry(db: Queryable, ceremonyId: string): Promise<EntryRow | undefined> {
  const rows = await db.query<EntryRow>(
    'SELECT seq, type, line, leaf_hash FROM transcript_entries WHERE ceremony_id = $1 ORDER BY seq DESC LIMIT 1',
    [ceremonyId],
  );
  return rows[0];
}

/** The newest entry of one type (e.g. the last `log.key-rotated`), or undefined. */
export async function selectLastEntryOfType(
  db: Queryable,
  ceremonyId: string,
  type: string,
): Promise<EntryRow | undefined> {
  const rows = await db.query<EntryRow>(
    `SELECT seq, type, line, leaf_hash FROM transcript_entries WHERE ceremony_id = $1 AND type = $2
     ORDER BY seq DESC LIMIT 1`,
    [ceremonyId, type],
  );
  return rows[0];
}

export async function selectEntries(
  db: Queryable,
  ceremonyId: string,
  fromSeq = 0,
  limit = 1000,
): Promise<EntryRow[]> {
  return db.query<EntryRow>(
    `SELECT seq, type, line, leaf_hash FROM transcript_entries
     WHERE ceremony_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3`,
    [ceremonyId, fromSeq, limit],
  );
}

export async function selectEntry(
  db: Queryable,
  ceremonyId: string,
  seq: number,
): Promise<EntryRow | undefined> {
  const rows = await db.query<EntryRow>(
    'SELECT seq, type, line, leaf_hash FROM transcript_entries WHERE ceremony_id = $1 AND seq = $2',
    [ceremonyId, seq],
  );
  return rows[0];
}

export async function insertEntry(db: Queryable, ceremonyId: string, row: EntryRow): Promise<void> {
  await db.query(
    'INSERT INTO transcript_entries (ceremony_id, seq, type, line, leaf_hash) VALUES ($1, $2, $3, $4, $5)',
    [ceremonyId, row.seq, row.type, row.line, row.leaf_hash],
  );
}

export async function selectNode(
  db: Queryable,
  ceremonyId: string,
  level: number,
  idx: number,
): Promise<string> {
  const rows = await db.query<{ hash: string }>(
    'SELECT hash FROM merkle_nodes WHERE ceremony_id = $1 AND level = $2 AND idx = $3',
    [ceremonyId, level, idx],
  );
  const hash = rows[0]?.hash;
  if (hash === undefined) throw new Error(`merkle node (${level}, ${idx}) of ${ceremonyId} is missing`);
  return hash;
}

export async function insertNodes(
  db: Queryable,
  ceremonyId: string,
  nodes: readonly { level: number; index: number; hash: string }[],
): Promise<void> {
  for (const node of nodes) {
    await db.query('INSERT INTO merkle_nodes (ceremony_id, level, idx, hash) VALUES ($1, $2, $3, $4)', [
      ceremonyId,
      node.level,
      node.index,
      node.hash,
    ]);
  }
}

export interface CheckpointRow {
  tree_size: number;
  root_hash: string;
  note: string;
}

export async function selectLatestCheckpoint(
  db: Queryable,
  ceremonyId: string,
): Promise<CheckpointRow | undefined> {
  const rows = await db.query<CheckpointRow>(
    'SELECT tree_size, root_hash, note FROM checkpoints WHERE ceremony_id = $1 ORDER BY tree_size DESC LIMIT 1',
    [ceremonyId],
  );
  return rows[0];
}

export async function selectCheckpoint(
  db: Queryable,
  ceremonyId: string,
  size: number,
): Promise<CheckpointRow | undefined> {
  const rows = await db.query<CheckpointRow>(
    'SELECT tree_size, root_hash, note FROM checkpoints WHERE ceremony_id = $1 AND tree_size = $2',
    [ceremonyId, size],
  );
  return rows[0];
}

export async function selectCheckpointsSince(
  db: Queryable,
  ceremonyId: string,
  afterSize: number,
): Promise<CheckpointRow[]> {
  return db.query<CheckpointRow>(
    'SELECT tree_size, root_hash, note FROM checkpoints WHERE ceremony_id = $1 AND tree_size > $2 ORDER BY tree_size',
    [ceremonyId, afterSize],
  );
}

export async function insertCheckpoint(db: Queryable, ceremonyId: string, row: CheckpointRow): Promise<void> {
  await db.query(
    'INSERT INTO checkpoints (ceremony_id, tree_size, root_hash, note) VALUES ($1, $2, $3, $4)',
    [ceremonyId, row.tree_size, row.root_hash, row.note],
  );
}

export async function selectCosignatureLines(
  db: Queryable,
  ceremonyId: string,
  size: number,
): Promise<string[]> {
  const rows = await db.query<{ line: string }>(
    // Participants' cosignatures, then the witnesses': both are extra signature lines on the checkpoint.
    `SELECT line FROM (
       SELECT line, 0 AS kind, participant_id AS who FROM cosignatures WHERE ceremony_id = $1 AND tree_size = $2
       UNION ALL
       SELECT line, 1 AS kind, witness AS who FROM witness_cosignatures WHERE ceremony_id = $1 AND tree_size = $2
     ) lines ORDER BY kind, who`,
    [ceremonyId, size],
  );
  return rows.map((r) => r.line);
}

export async function upsertCosignature(
  db: Queryable,
  ceremonyId: string,
  size: number,
  participantId: string,
  line: string,
): Promise<void> {
  await db.query(
    `INSERT INTO cosignatures (ceremony_id, tree_size, participant_id, line) VALUES ($1, $2, $3, $4)
     ON CONFLICT (ceremony_id, tree_size, participant_id) DO UPDATE SET line = EXCLUDED.line`,
    [ceremonyId, size, participantId, line],
  );
}
