// Pending approvals: the one owner of `pending_approvals`. A request (action + arguments) collects signed approvals
// from distinct coordinators of the ceremony; each is logged as `approval.given`, and the one that completes the
// quorum applies the act in the same transaction. The proposer may withdraw it; it expires APPROVAL_TTL_SECONDS
// after its first approval.
import { type CeremonyRow, logEntry, withCeremonyLock } from '../ceremony/ceremony-row.js';
import { isCeremonyCoordinator, requireCeremonyCoordinator } from '../ceremony/ownership.js';
import type { Services } from '../ceremony/services.js';
import { parsePublicKey, verifyHexSignature } from '../crypto/ed25519.js';
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import type { JsonValue } from '../transcript/canonical-json.js';
import { ACTS } from './acts.js';
import {
  type ApprovalAction,
  type ApprovalArguments,
  approvalArgumentsProblem,
  approvalMessage,
  approvalRequestId,
} from './approval-message.js';

export interface ApprovalInput {
  action: string;
  arguments: unknown;
  /** Ed25519 over approvalMessage({ceremony, action, arguments}), 128 hex. */
  signature: string;
}

export interface ApprovalOutcome {
  /** True while fewer than `required` coordinators signed; false once the act took effect. */
  pending: boolean;
  request: string;
  action: ApprovalAction;
  arguments: ApprovalArguments;
  approvals: number;
  required: number;
  /** The seq of every `approval.given` entry of the request so far. */
  seqs: number[];
  expiresAt: string;
}

export interface PendingRequest {
  request: string;
  action: ApprovalAction;
  arguments: ApprovalArguments;
  proposer: string;
  approvals: { publicKey: string; seq: number }[];
  required: number;
  expiresAt: string;
}

interface PendingRow {
  request_id: string;
  public_key: string;
  action: ApprovalAction;
  arguments: ApprovalArguments;
  proposer_key: string;
  seq: number;
  expires_at: Date;
}

async function requireCoordinatorOf(tx: Queryable, ceremony: CeremonyRow, publicKey: string) {
  if (!(await isCeremonyCoordinator(tx, ceremony, publicKey)))
    throw new CeremonyError(
      'FORBIDDEN',
      `only the coordinators of ceremony '${ceremony.id}' may approve its acts`,
    );
}

async function dropExpired(tx: Queryable, ceremonyId: string, now: Date): Promise<void> {
  await tx.query('DELETE FROM pending_approvals WHERE ceremony_id = $1 AND expires_at <= $2', [
    ceremonyId,
    now,
  ]);
}

/** Checks the request and its signature before any lock is taken: bad input changes nothing. */
function checkInput(ceremonyId: string, publicKey: string, input: ApprovalInput) {
  const problem = approvalArgumentsProblem(input.action, input.arguments);
  if (problem) throw new CeremonyError('BAD_REQUEST', `approval: ${problem}`);
  const request = {
    ceremony: ceremonyId,
    action: input.action as ApprovalAction,
    arguments: input.arguments as ApprovalArguments,
  };
  if (!verifyHexSignature(input.signature, approvalMessage(request), parsePublicKey(publicKey)))
    throw new CeremonyError(
      'BAD_APPROVAL',
      `the signature does not verify for key ${publicKey} over ceremony-approval/v1 and this request`,
    );
  return { ...request, id: approvalRequestId(request) };
}

/**
 * Records one coordinator's signed approval (`approval.given`); the approval that completes the quorum applies the
 * act in the same transaction, so either both are in the transcript or neither is.
 */
export async function submitApproval(
  s: Services,
  ceremonyId: string,
  publicKey: string,
  input: ApprovalInput,
): Promise<ApprovalOutcome> {
  const request = checkInput(ceremonyId, publicKey, input);
  const now = s.clock();
  const act = ACTS[request.action];
  const { outcome, after } = await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    await requireCoordinatorOf(tx, ceremony, publicKey);
    await dropExpired(tx, ceremonyId, now);
    await act.check(tx, ceremony, request.arguments);
    const rows = await tx.query<PendingRow>(
      'SELECT * FROM pending_approvals WHERE ceremony_id = $1 AND request_id = $2 ORDER BY seq',
      [ceremonyId, request.id],
    );
    if (rows.some((r) => r.public_key === publicKey))
      throw new CeremonyError(
        'APPROVAL_EXISTS',
        'you already approved this request: another coordinator must',
      );
    if (rows.length === 0) await refuseTooManyPending(tx, s, ceremonyId);
    const expiresAt = rows[0]?.expires_at ?? new Date(now.getTime() + s.config.approvalTtlSeconds * 1000);
    const entry = await logEntry(tx, s, ceremonyId, 'approval.given', {
      action: request.action,
      arguments: request.arguments as { [key: string]: JsonValue },
      publicKey,
      signature: input.signature,
      expiresAt: expiresAt.toISOString(),
    });
    const seqs = [...rows.map((r) => r.seq), entry.seq];
    const required = ceremony.approvals_required;
    const outcome: ApprovalOutcome = {
      pending: seqs.length < required,
      request: request.id,
      action: request.action,
      arguments: request.arguments,
      approvals: seqs.length,
      required,
      seqs,
      expiresAt: expiresAt.toISOString(),
    };
    if (outcome.pending) {
      await tx.query(
        `INSERT INTO pending_approvals
           (ceremony_id, request_id, public_key, action, arguments, proposer_key, seq, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          ceremonyId,
          request.id,
          publicKey,
          request.action,
          JSON.stringify(request.arguments),
          rows[0]?.proposer_key ?? publicKey,
          entry.seq,
          expiresAt,
        ],
      );
      return { outcome, after: () => {} };
    }
    await tx.query('DELETE FROM pending_approvals WHERE ceremony_id = $1 AND request_id = $2', [
      ceremonyId,
      request.id,
    ]);
    return { outcome, after: await act.apply(tx, s, ceremony, request.arguments, seqs) };
  });
  after();
  return outcome;
}

async function refuseTooManyPending(tx: Queryable, s: Services, ceremonyId: string): Promise<void> {
  const [row] = await tx.query<{ n: number }>(
    'SELECT count(DISTINCT request_id)::int AS n FROM pending_approvals WHERE ceremony_id = $1',
    [ceremonyId],
  );
  if ((row?.n ?? 0) >= s.config.approvalMaxPending)
    throw new CeremonyError(
      'RATE_LIMITED',
      `ceremony '${ceremonyId}' already has ${s.config.approvalMaxPending} requests waiting for approvals: approve, withdraw or let them expire first`,
    );
}

/** The proposer drops a pending request (`approval.withdrawn`, listing the approvals it had). */
export async function withdrawRequest(
  s: Services,
  ceremonyId: string,
  publicKey: string,
  requestId: string,
): Promise<{ request: string; withdrawn: number[] }> {
  const now = s.clock();
  return withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    await requireCoordinatorOf(tx, ceremony, publicKey);
    await dropExpired(tx, ceremonyId, now);
    const rows = await tx.query<PendingRow>(
      'SELECT * FROM pending_approvals WHERE ceremony_id = $1 AND request_id = $2 ORDER BY seq',
      [ceremonyId, requestId],
    );
    const first = rows[0];
    if (first === undefined)
      throw new CeremonyError('NOT_FOUND', `no pending request ${requestId} (done, withdrawn or expired)`);
    if (first.proposer_key !== publicKey)
      throw new CeremonyError('FORBIDDEN', 'only the coordinator who proposed a request may withdraw it');
    await tx.query('DELETE FROM pending_approvals WHERE ceremony_id = $1 AND request_id = $2', [
      ceremonyId,
      requestId,
    ]);
    const withdrawn = rows.map((r) => r.seq);
    await logEntry(tx, s, ceremonyId, 'approval.withdrawn', {
      action: first.action,
      arguments: first.arguments as { [key: string]: JsonValue },
      publicKey,
      approvals: withdrawn,
    });
    return { request: requestId, withdrawn };
  });
}

/** What waits for approvals in a ceremony (coordinators only), oldest first; expired requests are left out. */
export async function listPendingRequests(
  s: Services,
  ceremonyId: string,
  publicKey: string,
): Promise<PendingRequest[]> {
  const ceremony = await requireCeremonyCoordinator(s.db, ceremonyId, publicKey);
  const rows = await s.db.query<PendingRow>(
    'SELECT * FROM pending_approvals WHERE ceremony_id = $1 AND expires_at > $2 ORDER BY seq',
    [ceremonyId, s.clock()],
  );
  const byRequest = new Map<string, PendingRequest>();
  for (const row of rows) {
    let pending = byRequest.get(row.request_id);
    if (pending === undefined) {
      pending = {
        request: row.request_id,
        action: row.action,
        arguments: row.arguments,
        proposer: row.proposer_key,
        approvals: [],
        required: ceremony.approvals_required,
        expiresAt: row.expires_at.toISOString(),
      };
      byRequest.set(row.request_id, pending);
    }
    pending.approvals.push({ publicKey: row.public_key, seq: row.seq });
  }
  return [...byRequest.values()];
}
