// One ceremony's row and the transaction that changes it: the row lock, the state guard, the transcript append.
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import type { JsonValue } from '../transcript/canonical-json.js';
import type { EntryType } from '../transcript/entry.js';
import { appendEntry } from '../transcript/log.js';
import { observeEntry } from './observe.js';
import type { Services } from './services.js';

export interface CeremonyRow {
  id: string;
  title: string;
  state: 'draft' | 'open' | 'closed' | 'finalized';
  timeout_seconds: number;
  starts_at: Date | null;
  ends_at: Date | null;
  open_registration: boolean;
  coordinator_key: string;
  /** How many distinct coordinators must sign finalize, add/remove-coordinator and revoke-participant (migration 014). */
  approvals_required: number;
  /** Participants registered so far (the next id is p<this + 1>). */
  participants_registered: number;
  /** Heartbeats older than this were already swept by the queue timer (migration 004). */
  silence_swept_before: Date | null;
  finalization: {
    status: 'running' | 'done' | 'failed';
    beaconHex: string;
    beaconSource: string;
    iterationsExp: number;
    error: string | null;
  } | null;
}

/**
 * Runs `fn` in a transaction holding the ceremony's row lock, which serializes every change to one ceremony
 * (and so every transcript append); publishes the ceremony's files after the commit.
 */
export async function withCeremonyLock<T>(
  s: Services,
  ceremonyId: string,
  fn: (tx: Queryable, ceremony: CeremonyRow) => Promise<T>,
): Promise<T> {
  const result = await s.db.transaction(async (tx) => {
    const rows = await tx.query<CeremonyRow>('SELECT * FROM ceremonies WHERE id = $1 FOR UPDATE', [
      ceremonyId,
    ]);
    const ceremony = rows[0];
    if (ceremony === undefined) throw new CeremonyError('NOT_FOUND', `no ceremony '${ceremonyId}'`);
    return fn(tx, ceremony);
  });
  s.events.ceremonyChanged(ceremonyId);
  return result;
}

export async function loadCeremony(db: Queryable, ceremonyId: string): Promise<CeremonyRow> {
  const rows = await db.query<CeremonyRow>('SELECT * FROM ceremonies WHERE id = $1', [ceremonyId]);
  const ceremony = rows[0];
  if (ceremony === undefined) throw new CeremonyError('NOT_FOUND', `no ceremony '${ceremonyId}'`);
  return ceremony;
}

export function requireState(ceremony: CeremonyRow, allowed: CeremonyRow['state'][], action: string): void {
  if (!allowed.includes(ceremony.state)) {
    throw new CeremonyError(
      'WRONG_STATE',
      `cannot ${action}: ceremony '${ceremony.id}' is ${ceremony.state}`,
    );
  }
}

/** Appends an entry in the caller's transaction, logs it and feeds the metrics that follow from it. */
export async function logEntry(
  tx: Queryable,
  s: Services,
  ceremonyId: string,
  type: EntryType,
  body: { [key: string]: JsonValue },
) {
  const appended = await appendEntry(tx, s.signer, ceremonyId, type, body);
  await observeEntry(tx, s, { ceremonyId, seq: appended.seq, type, body });
  return appended;
}
