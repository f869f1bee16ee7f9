// Creating, opening and closing ceremonies, and the public view of one.
import { MAX_APPROVALS } from '../approvals/approval-message.js';
import { parsePublicKey } from '../crypto/ed25519.js';
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import {
  CEREMONY_ID_RULE,
  ceremonyIdPattern,
  DEFAULT_TURN_TIMEOUT_SECONDS,
  MAX_TITLE_LENGTH,
  MAX_TURN_TIMEOUT_SECONDS,
  MIN_TURN_TIMEOUT_SECONDS,
} from '../limits.js';
import { requireDisplayText } from '../names.js';
import { type CeremonyRow, loadCeremony, logEntry, requireState, withCeremonyLock } from './ceremony-row.js';
import type { Services } from './services.js';
import { endAllTurns } from './turns.js';
import type { CeremonyView, CircuitView } from './types.js';

export interface CreateCeremonyInput {
  id: string;
  title: string;
  timeoutSeconds?: number;
  startsAt?: string;
  endsAt?: string;
  openRegistration?: boolean;
  /** Coordinators who must sign each act that cannot be undone (default 1). */
  approvals?: number;
  /** Co-coordinators named at creation (logged as `coordinator.added` right after `ceremony.created`). */
  coCoordinators?: string[];
}

/** The co-coordinators named at creation and the quorum: distinct keys, M at most the coordinators, owner included. */
function checkCoordinators(
  ownerKey: string,
  input: CreateCeremonyInput,
): { approvals: number; coCoordinators: string[] } {
  const coCoordinators = input.coCoordinators ?? [];
  if (coCoordinators.length > MAX_APPROVALS)
    throw new CeremonyError(
      'BAD_REQUEST',
      `at most ${MAX_APPROVALS} co-coordinators may be named at creation`,
    );
  for (const key of coCoordinators) parsePublicKey(key);
  if (new Set([ownerKey, ...coCoordinators]).size !== coCoordinators.length + 1)
    throw new CeremonyError('BAD_REQUEST', 'each co-coordinator must be named once, and not be the owner');
  const approvals = input.approvals ?? 1;
  if (!Number.isInteger(approvals) || approvals < 1 || approvals > coCoordinators.length + 1)
    throw new CeremonyError(
      'BAD_REQUEST',
      `approvals must be an integer from 1 to ${coCoordinators.length + 1} (the coordinators, owner included)`,
    );
  return { approvals, coCoordinators };
}

function parseTime(value: string | undefined, what: string): Date | null {
  if (value === undefined) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new CeremonyError('BAD_REQUEST', `${what} is not an ISO date: '${value}'`);
  return date;
}

export async function createCeremony(
  s: Services,
  coordinatorKey: string,
  input: CreateCeremonyInput,
): Promise<CeremonyView> {
  if (!ceremonyIdPattern.test(input.id)) throw new CeremonyError('BAD_REQUEST', CEREMONY_ID_RULE);
  const title = input.title.trim();
  if (title.length === 0 || title.length > MAX_TITLE_LENGTH)
    throw new CeremonyError('BAD_REQUEST', `title must be 1-${MAX_TITLE_LENGTH} characters`);
  requireDisplayText('title', title);
  const timeoutSeconds = input.timeoutSeconds ?? DEFAULT_TURN_TIMEOUT_SECONDS;
  if (
    !Number.isInteger(timeoutSeconds) ||
    timeoutSeconds < MIN_TURN_TIMEOUT_SECONDS ||
    timeoutSeconds > MAX_TURN_TIMEOUT_SECONDS
  ) {
    throw new CeremonyError(
      'BAD_REQUEST',
      `turn timeout must be an integer from ${MIN_TURN_TIMEOUT_SECONDS} to ${MAX_TURN_TIMEOUT_SECONDS} seconds`,
    );
  }
  const startsAt = parseTime(input.startsAt, 'startsAt');
  const endsAt = parseTime(input.endsAt, 'endsAt');
  if (startsAt && endsAt && endsAt <= startsAt)
    throw new CeremonyError('BAD_REQUEST', 'endsAt must be after startsAt');
  const openRegistration = input.openRegistration ?? false;
  const { approvals, coCoordinators } = checkCoordinators(coordinatorKey, input);

  await s.db.transaction(async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO ceremonies (id, title, state, timeout_seconds, starts_at, ends_at, open_registration, coordinator_key,
         approvals_required)
       VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [input.id, title, timeoutSeconds, startsAt, endsAt, openRegistration, coordinatorKey, approvals],
    );
    if (inserted.length === 0)
      throw new CeremonyError('CEREMONY_EXISTS', `ceremony '${input.id}' already exists`);
    await logEntry(tx, s, input.id, 'ceremony.created', {
      title,
      timeoutSeconds,
      coordinator: coordinatorKey,
      registration: openRegistration ? 'open' : 'allowlist',
      startsAt: startsAt?.toISOString() ?? null,
      endsAt: endsAt?.toISOString() ?? null,
      // Absent when one coordinator decides alone, so such ceremonies log what they always did.
      ...(approvals > 1 ? { approvals } : {}),
    });
    for (const publicKey of coCoordinators) {
      await tx.query('INSERT INTO ceremony_coordinators (ceremony_id, public_key) VALUES ($1, $2)', [
        input.id,
        publicKey,
      ]);
      await logEntry(tx, s, input.id, 'coordinator.added', { publicKey });
    }
  });
  s.events.ceremonyChanged(input.id);
  return getCeremonyView(s.db, input.id);
}

export async function openCeremony(s: Services, ceremonyId: string): Promise<CeremonyView> {
  await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['draft'], 'open the round');
    const circuits = await tx.query<{ status: string }>(
      'SELECT status FROM circuits WHERE ceremony_id = $1',
      [ceremonyId],
    );
    if (circuits.length === 0)
      throw new CeremonyError('WRONG_STATE', 'cannot open: the ceremony has no circuit');
    if (circuits.some((c) => c.status !== 'ready')) {
      throw new CeremonyError(
        'CIRCUIT_NOT_READY',
        'cannot open: every circuit must be ready (initial zkey computed)',
      );
    }
    await tx.query(`UPDATE ceremonies SET state = 'open' WHERE id = $1`, [ceremonyId]);
    await logEntry(tx, s, ceremonyId, 'ceremony.opened', {});
  });
  return getCeremonyView(s.db, ceremonyId);
}

/** Ends the round: waiting turns are dropped and active turns expire; verifications in flight still finish. */
export async function closeRound(
  tx: Queryable,
  s: Services,
  ceremony: CeremonyRow,
  now: Date,
): Promise<void> {
  requireState(ceremony, ['open'], 'close the round');
  await endAllTurns(tx, s, ceremony.id, now);
  await tx.query(`UPDATE ceremonies SET state = 'closed' WHERE id = $1`, [ceremony.id]);
  await logEntry(tx, s, ceremony.id, 'ceremony.closed', {});
}

export async function closeCeremony(s: Services, ceremonyId: string): Promise<CeremonyView> {
  const now = s.clock();
  await withCeremonyLock(s, ceremonyId, (tx, ceremony) => closeRound(tx, s, ceremony, now));
  return getCeremonyView(s.db, ceremonyId);
}

/** A circuit's row, as `SELECT * FROM circuits` reads it. */
export interface CircuitRow {
  name: string;
  position: number;
  status: CircuitView['status'];
  error: string | null;
  constraints: number | null;
  power: number | null;
  r1cs_sha256: string;
  ptau_sha256: string;
  initial_zkey_sha256: string | null;
  contribution_index: number;
  latest_zkey_sha256: string | null;
  final_zkey_sha256: string | null;
  verification_key_sha256: string | null;
  verifier_sol_sha256: string | null;
}

/** Who holds each circuit and how many wait: read from the database here, from memory by the status board. */
export interface CircuitQueue {
  currentParticipant: string | null;
  turnDeadline: Date | null;
  waiting: number;
}

/** The public view of a ceremony from its row, its circuits with their queues, and two counts. */
export function toCeremonyView(
  ceremony: CeremonyRow,
  circuits: readonly (CircuitRow & CircuitQueue)[],
  counts: { queueLength: number; transcriptSize: number },
): CeremonyView {
  return {
    id: ceremony.id,
    title: ceremony.title,
    state: ceremony.state,
    timeoutSeconds: ceremony.timeout_seconds,
    startsAt: ceremony.starts_at?.toISOString() ?? null,
    endsAt: ceremony.ends_at?.toISOString() ?? null,
    openRegistration: ceremony.open_registration,
    coordinatorKey: ceremony.coordinator_key,
    approvalsRequired: ceremony.approvals_required,
    queueLength: counts.queueLength,
    transcriptSize: counts.transcriptSize,
    finalization: ceremony.finalization
      ? { ...ceremony.finalization, error: ceremony.finalization.error ?? null }
      : null,
    circuits: circuits.map((c) => ({
      name: c.name,
      position: c.position,
      status: c.status,
      error: c.error,
      constraints: c.constraints,
      power: c.power,
      r1csSha256: c.r1cs_sha256,
      ptauSha256: c.ptau_sha256,
      initialZkeySha256: c.initial_zkey_sha256,
      contributionIndex: c.contribution_index,
      latestZkeySha256: c.latest_zkey_sha256,
      finalZkeySha256: c.final_zkey_sha256,
      verificationKeySha256: c.verification_key_sha256,
      verifierSolSha256: c.verifier_sol_sha256,
      currentParticipant: c.currentParticipant,
      turnDeadline: c.turnDeadline ? new Date(c.turnDeadline).toISOString() : null,
      waiting: c.waiting,
    })),
  };
}

/** Entries in the ceremony's transcript, from the primary key (no count). */
export async function readTranscriptSize(db: Queryable, ceremonyId: string): Promise<number> {
  const [row] = await db.query<{ seq: number }>(
    'SELECT seq FROM transcript_entries WHERE ceremony_id = $1 ORDER BY seq DESC LIMIT 1',
    [ceremonyId],
  );
  return row === undefined ? 0 : row.seq + 1;
}

/**
 * The view read straight from the database (answers to coordinator writes). Reads that many clients repeat go
 * through the status board (status-board.ts), which keeps the queue in memory.
 */
export async function getCeremonyView(db: Queryable, ceremonyId: string): Promise<CeremonyView> {
  const ceremony = await loadCeremony(db, ceremonyId);
  const circuits = await db.query<
    CircuitRow & { current_participant: string | null; turn_deadline: Date | null; waiting: number }
  >(
    `SELECT c.*, (SELECT t.participant_id FROM turns t WHERE t.ceremony_id = c.ceremony_id
                  AND t.circuit_name = c.name AND t.state IN ('active', 'verifying')) AS current_participant,
            (SELECT t.deadline FROM turns t WHERE t.ceremony_id = c.ceremony_id
                  AND t.circuit_name = c.name AND t.state = 'active') AS turn_deadline,
            (SELECT count(*)::int FROM turns t WHERE t.ceremony_id = c.ceremony_id
                  AND t.circuit_name = c.name AND t.state = 'waiting') AS waiting
     FROM circuits c WHERE c.ceremony_id = $1 ORDER BY c.position`,
    [ceremonyId],
  );
  const [counts] = await db.query<{ queue_length: number }>(
    `SELECT count(DISTINCT participant_id)::int AS queue_length FROM turns
     WHERE ceremony_id = $1 AND state IN ('waiting', 'active', 'verifying')`,
    [ceremonyId],
  );
  return toCeremonyView(
    ceremony,
    circuits.map((c) => ({
      ...c,
      currentParticipant: c.current_participant,
      turnDeadline: c.turn_deadline,
      waiting: c.waiting,
    })),
    { queueLength: counts?.queue_length ?? 0, transcriptSize: await readTranscriptSize(db, ceremonyId) },
  );
}

export async function listCeremonyIds(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ id: string }>('SELECT id FROM ceremonies ORDER BY id');
  return rows.map((r) => r.id);
}

/** The view as the public reads serve it (from the status board's snapshot), with the web page's contribution bound. */
export async function getPublicCeremonyView(
  s: Pick<Services, 'board' | 'config'>,
  ceremonyId: string,
): Promise<CeremonyView> {
  const view = await s.board.view(ceremonyId);
  return { ...view, webContributeMaxConstraints: s.config.webContributeMaxConstraints };
}

/** Every ceremony's public view, by id (the web page's list). */
export async function listCeremonyViews(
  s: Pick<Services, 'db' | 'board' | 'config'>,
): Promise<CeremonyView[]> {
  return Promise.all((await listCeremonyIds(s.db)).map((id) => getPublicCeremonyView(s, id)));
}
