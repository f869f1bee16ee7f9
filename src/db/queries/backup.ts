// Named queries a restore runs on the database it has just loaded.
import type { Queryable } from '../database.js';

export interface CeremonyStateRow {
  id: string;
  state: string;
}

export async function selectCeremonyStates(db: Queryable): Promise<CeremonyStateRow[]> {
  return db.query<CeremonyStateRow>('SELECT id, state FROM ceremonies ORDER BY id');
}
