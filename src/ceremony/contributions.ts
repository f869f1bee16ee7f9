// Receiving a contribution during a turn: quick checks on the request path, the snarkjs verification in a job,
// and the verdict written with its transcript entry in one transaction.
import { randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { verifyHexSignature } from '../crypto/ed25519.js';
import type { Queryable } from '../db/database.js';
import { CeremonyError, type ErrorCode } from '../errors.js';
import { requireDisplayText } from '../names.js';
import { checkContributionChain } from '../snark/contribution-chain.js';
import { readZkeyInfo } from '../snark/zkey-file.js';
import type { StoredFile } from '../storage/blob-store.js';
import { TailKeeper } from '../uploads/partial-uploads.js';
import { attestationMessage, MAX_STATEMENT_LENGTH } from './attestation.js';
import { type CeremonyRow, logEntry, withCeremonyLock } from './ceremony-row.js';
import { enqueueJob, type JobKind } from './jobs.js';
import { measureUpload } from './metrics.js';
import { buildReceipt } from './receipts.js';
import type { Services } from './services.js';
import { watchRevocation } from './standing.js';
import { prepareStep, type StepOutcome, tapUpload, verifyContributionStep } from './streamed-step.js';
import { advanceTurns, endTurn, markTurnVerifying, readTurnState } from './turns.js';
import type { ContributionView, Participant } from './types.js';
import { claimUpload } from './upload-claims.js';
import { haltOnDisagreementInTx } from './verifier-disagreement.js';

/** A contribution adds one 407-byte record plus its name; anything much larger than the previous zkey is refused. */
export const MAX_GROWTH_BYTES = 64 * 1024;
/** Named in each accepted entry; `method` is 'step' or 'step+zKey.verifyFromInit' (the periodic cross-check). */
export const VERIFIER = { name: 'ceremony-coordinator', version: '1' } as const;

interface HeldTurn {
  turnId: number;
  index: number;
  prevZkeySha256: string;
  prevSize: number;
  deadline: Date | null;
}

async function requireHeldTurn(s: Services, p: Participant, circuit: string): Promise<HeldTurn> {
  const [row] = await s.db.query<{
    id: number;
    contribution_index: number;
    latest_zkey_sha256: string;
    deadline: Date | null;
  }>(
    `SELECT t.id, t.deadline, c.contribution_index, c.latest_zkey_sha256 FROM turns t
     JOIN circuits c ON c.ceremony_id = t.ceremony_id AND c.name = t.circuit_name
     WHERE t.ceremony_id = $1 AND t.circuit_name = $2 AND t.participant_id = $3 AND t.state = 'active'`,
    [p.ceremonyId, circuit, p.participantId],
  );
  if (!row) throw new CeremonyError('NOT_YOUR_TURN', `it is not your turn on circuit '${circuit}'`);
  const latest = await s.store.source(row.latest_zkey_sha256);
  if (latest === undefined)
    throw new CeremonyError('INTERNAL', `zkey ${row.latest_zkey_sha256} is not stored`);
  const { size } = latest;
  return {
    turnId: row.id,
    index: row.contribution_index + 1,
    prevZkeySha256: row.latest_zkey_sha256,
    prevSize: size,
    deadline: row.deadline,
  };
}

export interface UploadInput {
  circuit: string;
  body: NodeJS.ReadableStream;
  contentLength: number | undefined;
  attestation: string;
  statement: string | undefined;
  /** Where this body starts in the file: the bytes the server holds of the turn's cut upload (0: from the start). */
  offset?: number | undefined;
}

/** Checks the uploaded zkey against the chain and the attestation; throws the reason when it is not admissible. */
async function checkUpload(
  s: Services,
  p: Participant,
  circuit: string,
  held: HeldTurn,
  file: StoredFile,
  input: UploadInput,
) {
  if (file.sha256 === held.prevZkeySha256) {
    throw new CeremonyError(
      'ZKEY_UNCHANGED',
      'the upload is the current zkey itself: contribute to it first',
    );
  }
  const prev = await readZkeyInfo(await s.store.localPath(held.prevZkeySha256));
  const next = await readZkeyInfo(file.path);
  const verdict = checkContributionChain(prev, next);
  if (!verdict.ok) throw new CeremonyError(verdict.code, verdict.message);
  const contributionHash = verdict.contribution.contributionHash;
  const message = attestationMessage({
    ceremony: p.ceremonyId,
    circuit,
    index: held.index,
    prevZkeySha256: held.prevZkeySha256,
    zkeySha256: file.sha256,
    contributionHash,
    ...(input.statement === undefined ? {} : { statement: input.statement }),
  });
  if (!verifyHexSignature(input.attestation, message, Buffer.from(p.publicKey, 'hex'))) {
    throw new CeremonyError(
      'BAD_ATTESTATION',
      `attestation does not verify for index ${held.index}, zkey ${file.sha256} and contribution hash ${contributionHash.slice(0, 16)}…`,
    );
  }
  return contributionHash;
}

/** The offset this body starts at: the server's bytes beyond it are dropped; a gap before it is refused. */
async function settleOffset(s: Services, turnId: number, offset: number): Promise<number> {
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new CeremonyError('BAD_REQUEST', 'x-ceremony-upload-offset must be a non-negative integer');
  const held = await s.uploads.offsetOf(turnId);
  if (offset > held) {
    throw new CeremonyError(
      'UPLOAD_OFFSET_MISMATCH',
      `the server holds ${held} bytes of this upload: resume from byte ${held}`,
    );
  }
  if (offset < held) await s.uploads.truncateTo(turnId, offset);
  return offset;
}

/** Records a rejection: its entry, the released turn, the queue moving on. */
export async function rejectInTx(
  tx: Queryable,
  s: Services,
  ceremony: CeremonyRow,
  now: Date,
  rejected: {
    id: string;
    circuit: string;
    participantId: string;
    turnId: number;
    zkeySha256: string;
    code: ErrorCode | string;
    message: string;
  },
) {
  await endTurn(
    tx,
    ceremony.id,
    { id: rejected.turnId, participant_id: rejected.participantId },
    'rejected',
    now,
  );
  const entry = await logEntry(tx, s, ceremony.id, 'contribution.rejected', {
    circuit: rejected.circuit,
    participantId: rejected.participantId,
    zkeySha256: rejected.zkeySha256,
    reason: rejected.code,
    message: rejected.message,
  });
  await tx.query(
    `UPDATE contributions SET state = 'rejected', reason_code = $2, reason_message = $3, seq = $4, decided_at = $5
     WHERE id = $1`,
    [rejected.id, rejected.code, rejected.message, entry.seq, now],
  );
  await advanceTurns(tx, s, ceremony, now);
  s.metrics.contributions.inc({ result: 'rejected' });
}

export async function receiveContribution(
  s: Services,
  p: Participant,
  input: UploadInput,
): Promise<ContributionView> {
  if (input.statement !== undefined && input.statement.length > MAX_STATEMENT_LENGTH) {
    throw new CeremonyError('BAD_REQUEST', `statement is longer than ${MAX_STATEMENT_LENGTH} characters`);
  }
  if (input.statement !== undefined) requireDisplayText('statement', input.statement, true);
  const held = await requireHeldTurn(s, p, input.circuit);
  // The turn's holder resuming on a new connection takes over at once from their upload still streaming here (its
  // connection is most likely dead); one streaming in another API process holds its claim until the claim expires.
  // A fresh upload (no offset) does not: a second one while the first streams is refused, as before.
  if (input.offset !== undefined) await s.uploads.cutInFlight(held.turnId);
  const cutter = new AbortController();
  const work = (async () => {
    // One upload per turn: a holder opening many at once would multiply disk use and pin connections.
    const claim = await claimUpload(
      s,
      held.turnId,
      `an upload for this turn on circuit '${input.circuit}' is already in progress`,
    );
    try {
      // Cut by a resume while it waited for its claim (a loaded database): it gives the turn to that resume.
      cutter.signal.throwIfAborted();
      return await receiveForTurn(s, p, input, held, cutter.signal);
    } finally {
      await claim.release();
    }
  })();
  s.uploads.track(held.turnId, {
    cut: () =>
      cutter.abort(
        new CeremonyError('UPLOAD_IN_PROGRESS', 'a newer connection of yours took over this upload'),
      ),
    done: work,
  });
  return work;
}

async function receiveForTurn(
  s: Services,
  p: Participant,
  input: UploadInput,
  held: HeldTurn,
  signal: AbortSignal,
): Promise<ContributionView> {
  const maxBytes = held.prevSize + MAX_GROWTH_BYTES;
  const offset = await settleOffset(s, held.turnId, input.offset ?? 0);
  if (input.contentLength !== undefined && offset + input.contentLength > maxBytes) {
    throw new CeremonyError('PAYLOAD_TOO_LARGE', `a contribution to this zkey is at most ${maxBytes} bytes`);
  }
  let tap = s.uploads.takeCheck(held.turnId, offset);
  if (tap === undefined) {
    tap = await tapUpload(s, held.prevZkeySha256);
    await s.uploads.replayInto(held.turnId, tap, offset);
  }
  const tail = new TailKeeper(offset);
  const check = tap;
  const revocation = watchRevocation(s, p);
  let file: StoredFile;
  try {
    file = await measureUpload(
      s.metrics,
      'zkey',
      s.store.receive(input.body, {
        maxBytes,
        // The turn's time left on the domain clock, as an instant on the wall clock the stream's timers run on.
        deadline:
          held.deadline === null
            ? undefined
            : new Date(Date.now() + held.deadline.getTime() - s.clock().getTime()),
        expectedBytes: input.contentLength,
        observe: async (chunk) => {
          tail.add(chunk);
          await check.onChunk(chunk);
        },
        resume: { path: s.uploads.pathOf(held.turnId) },
        signal: AbortSignal.any([signal, revocation.signal]),
      }),
    );
  } catch (err) {
    // A cut connection, a stall or a shutdown keeps what arrived for a resume; an upload refused outright does not,
    // nor one whose sender was revoked meanwhile (FORBIDDEN: that turn is over).
    const refused =
      err instanceof CeremonyError &&
      (err.code === 'PAYLOAD_TOO_LARGE' || err.code === 'INSUFFICIENT_STORAGE' || err.code === 'FORBIDDEN');
    if (refused) {
      tap.drop();
      await s.uploads.drop(held.turnId);
    } else await s.uploads.keepCut(held.turnId, tap, tail);
    throw err;
  } finally {
    revocation.stop();
  }
  const streamed = await tap.verdict();
  const id = randomBytes(12).toString('hex');
  let failure: CeremonyError | undefined;
  let contributionHash: string | undefined;
  try {
    contributionHash = await checkUpload(s, p, input.circuit, held, file, input);
    if (streamed && !streamed.ok && !s.config.testOnlyStepVerifierAcceptsAll) {
      throw new CeremonyError(streamed.code, streamed.message);
    }
    // Durable under its own name before the job that verifies it is committed.
    await s.store.place(file.path, s.store.uploadPath(id));
  } catch (err) {
    await rm(file.path, { force: true });
    if (!(err instanceof CeremonyError) || err.status >= 500) throw err;
    failure = err;
  }
  try {
    await withCeremonyLock(s, p.ceremonyId, async (tx, ceremony) => {
      // The turn may have expired while the body streamed in.
      if ((await readTurnState(tx, held.turnId)) !== 'active')
        throw new CeremonyError('NOT_YOUR_TURN', 'your turn ended before the upload finished');
      await tx.query(
        `INSERT INTO contributions (id, ceremony_id, circuit_name, participant_id, turn_id, idx, prev_zkey_sha256,
           zkey_sha256, zkey_size, contribution_hash, attestation, statement, state, step_passed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'verifying', $13)`,
        [
          id,
          p.ceremonyId,
          input.circuit,
          p.participantId,
          held.turnId,
          held.index,
          held.prevZkeySha256,
          file.sha256,
          file.size,
          contributionHash ?? null,
          input.attestation,
          input.statement ?? null,
          // The streamed verdict travels with the row: the worker that commits it may be another process.
          failure === undefined && streamed?.ok === true,
        ],
      );
      if (failure) {
        await rejectInTx(tx, s, ceremony, s.clock(), {
          id,
          circuit: input.circuit,
          participantId: p.participantId,
          turnId: held.turnId,
          zkeySha256: file.sha256,
          code: failure.code,
          message: failure.message,
        });
        return;
      }
      await markTurnVerifying(tx, held.turnId);
      await enqueueJob(tx, 'contribution.verify', { contributionId: id });
    });
  } catch (err) {
    if (!failure) await rm(s.store.uploadPath(id), { force: true });
    throw err;
  }
  if (failure) {
    // The refused attempt used up zkey_prev's secret scalars: prepare fresh ones for the next upload.
    prepareStep(s, held.prevZkeySha256);
    throw failure;
  }
  s.events.jobQueued();
  return getContribution(s, p.ceremonyId, id);
}

interface ContributionRow {
  id: string;
  ceremony_id: string;
  circuit_name: string;
  participant_id: string;
  turn_id: number;
  idx: number;
  prev_zkey_sha256: string;
  zkey_sha256: string;
  contribution_hash: string | null;
  attestation: string;
  statement: string | null;
  state: ContributionView['state'];
  reason_code: string | null;
  reason_message: string | null;
  seq: number | null;
  /** The streamed step check passed while the upload arrived: the job commits it without a second step check. */
  step_passed: boolean;
}

async function loadContribution(db: Queryable, ceremonyId: string, id: string): Promise<ContributionRow> {
  const [row] = await db.query<ContributionRow>(
    'SELECT * FROM contributions WHERE ceremony_id = $1 AND id = $2',
    [ceremonyId, id],
  );
  if (!row) throw new CeremonyError('NOT_FOUND', `no contribution '${id}' in ceremony '${ceremonyId}'`);
  return row;
}

interface VerifyPayload {
  contributionId: string;
}

async function loadVerifying(s: Services, contributionId: string): Promise<ContributionRow | undefined> {
  const [located] = await s.db.query<{ ceremony_id: string }>(
    'SELECT ceremony_id FROM contributions WHERE id = $1',
    [contributionId],
  );
  if (!located) return undefined;
  const c = await loadContribution(s.db, located.ceremony_id, contributionId);
  return c.state === 'verifying' ? c : undefined;
}

/** What `rejectInTx` needs to reject contribution `c` with `code`. */
function rejectionOf(c: ContributionRow, code: ErrorCode, message: string) {
  return {
    id: c.id,
    circuit: c.circuit_name,
    participantId: c.participant_id,
    turnId: c.turn_id,
    zkeySha256: c.zkey_sha256,
    code,
    message,
  };
}

/**
 * Rejects a contribution still being verified, in one transaction with its entry and the queue moving on; false when
 * it was already settled.
 */
export async function rejectVerifying(
  s: Services,
  ceremonyId: string,
  contributionId: string,
  code: ErrorCode,
  message: string,
  now: Date,
): Promise<boolean> {
  return withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    const c = await loadContribution(tx, ceremonyId, contributionId);
    if (c.state !== 'verifying') return false;
    await rejectInTx(tx, s, ceremony, now, rejectionOf(c, code, message));
    return true;
  });
}

/** Job: runs snarkjs verifyFromInit in a child process, then accepts or rejects in one transaction. */
export const verifyContributionJob: JobKind<VerifyPayload> = {
  failureMessage: 'the verifier could not run to completion on this zkey (crash, memory or time limit)',

  async run(s, payload, job) {
    const c = await loadVerifying(s, payload.contributionId);
    if (!c) return;
    const [circuit] = await s.db.query<{ initial_zkey_sha256: string; ptau_sha256: string }>(
      'SELECT initial_zkey_sha256, ptau_sha256 FROM circuits WHERE ceremony_id = $1 AND name = $2',
      [c.ceremony_id, c.circuit_name],
    );
    if (!circuit) throw new CeremonyError('INTERNAL', `circuit ${c.circuit_name} vanished`);
    const uploaded = s.store.uploadPath(c.id);
    // A crash between moving the file into the store and committing leaves it under its hash: verify that copy.
    const path = await stat(uploaded).then(
      () => uploaded,
      () => s.store.localPath(c.zkey_sha256),
    );
    const result: StepOutcome = await verifyContributionStep(
      s,
      c,
      path,
      {
        zkeyPath: await s.store.localPath(circuit.initial_zkey_sha256),
        ptauPath: await s.store.localPath(circuit.ptau_sha256),
      },
      job,
    );
    s.metrics.verifySeconds.observe(result.durationMs / 1000);
    s.metrics.verifyMaxRssBytes.set(result.maxRssBytes);
    if (result.ok && path === uploaded) await s.store.adopt({ path, sha256: c.zkey_sha256 });

    const now = s.clock();
    // The zkey the next upload builds on: its side of the step check is computed before that upload starts.
    let prepareNext: string | undefined;
    await withCeremonyLock(s, c.ceremony_id, async (tx, ceremony) => {
      // A worker whose lease passed to another must not commit a second verdict beside the new holder's.
      await job.requireLease(tx);
      const current = await loadContribution(tx, c.ceremony_id, c.id);
      if (current.state !== 'verifying') return;
      await tx.query('UPDATE contributions SET verify_ms = $2, verify_max_rss = $3 WHERE id = $1', [
        c.id,
        Math.round(result.durationMs),
        result.maxRssBytes,
      ]);
      const [head] = await tx.query<{ contribution_index: number; latest_zkey_sha256: string }>(
        'SELECT contribution_index, latest_zkey_sha256 FROM circuits WHERE ceremony_id = $1 AND name = $2 FOR UPDATE',
        [c.ceremony_id, c.circuit_name],
      );
      const stillHead =
        head?.contribution_index === c.idx - 1 && head.latest_zkey_sha256 === c.prev_zkey_sha256;
      if (result.disagreement && stillHead) {
        const { check, acceptedBy } = result.disagreement;
        const d = { circuit: c.circuit_name, index: c.idx, zkeySha256: c.zkey_sha256, check, acceptedBy };
        await haltOnDisagreementInTx(tx, s, c.ceremony_id, d);
        await rejectInTx(
          tx,
          s,
          ceremony,
          now,
          rejectionOf(c, 'VERIFIER_DISAGREEMENT', result.reason ?? check),
        );
        return;
      }
      if (!result.ok || !stillHead) {
        await rejectInTx(
          tx,
          s,
          ceremony,
          now,
          result.ok
            ? rejectionOf(c, 'CIRCUIT_MOVED_ON', 'the circuit moved on before verification finished')
            : rejectionOf(c, 'ZKEY_VERIFICATION_FAILED', result.reason ?? 'verification failed'),
        );
        prepareNext = c.prev_zkey_sha256;
        return;
      }
      await tx.query(
        'UPDATE circuits SET contribution_index = $3, latest_zkey_sha256 = $4 WHERE ceremony_id = $1 AND name = $2',
        [c.ceremony_id, c.circuit_name, c.idx, c.zkey_sha256],
      );
      await endTurn(tx, c.ceremony_id, { id: c.turn_id, participant_id: c.participant_id }, 'done', now);
      const entry = await logEntry(tx, s, c.ceremony_id, 'contribution.accepted', {
        circuit: c.circuit_name,
        index: c.idx,
        participantId: c.participant_id,
        prevZkeySha256: c.prev_zkey_sha256,
        zkeySha256: c.zkey_sha256,
        contributionHash: c.contribution_hash ?? '',
        attestation: c.attestation,
        verifier: { ...VERIFIER, method: result.method },
        ...(c.statement === null ? {} : { statement: c.statement }),
      });
      await tx.query(`UPDATE contributions SET state = 'accepted', seq = $2, decided_at = $3 WHERE id = $1`, [
        c.id,
        entry.seq,
        now,
      ]);
      await advanceTurns(tx, s, ceremony, now);
      s.metrics.contributions.inc({ result: 'accepted' });
      prepareNext = c.zkey_sha256;
    });
    await rm(uploaded, { force: true });
    // Uploads stream into API processes: a worker has no upload to prepare for.
    if (prepareNext && s.config.role !== 'worker') prepareStep(s, prepareNext);
  },

  // The verifier itself kept failing (crash, out of memory, timeout): the circuit must not stay held forever.
  async settle(s, payload, failure) {
    const c = await loadVerifying(s, payload.contributionId);
    if (!c) return;
    s.log.error(
      { err: failure.error, contribution: c.id },
      'verification failed to run; rejecting the contribution',
    );
    await rejectVerifying(s, c.ceremony_id, c.id, 'VERIFIER_ERROR', failure.publicMessage, s.clock());
    await rm(s.store.uploadPath(c.id), { force: true });
  },
};

export async function getContribution(
  s: Services,
  ceremonyId: string,
  id: string,
): Promise<ContributionView> {
  const c = await loadContribution(s.db, ceremonyId, id);
  return {
    contributionId: c.id,
    circuit: c.circuit_name,
    index: c.idx,
    participantId: c.participant_id,
    prevZkeySha256: c.prev_zkey_sha256,
    zkeySha256: c.zkey_sha256,
    contributionHash: c.contribution_hash,
    state: c.state,
    reason: c.reason_code ? { code: c.reason_code, message: c.reason_message ?? '' } : null,
    receipt:
      c.state === 'accepted' && c.seq !== null
        ? await buildReceipt(s, ceremonyId, c.circuit_name, c.idx, c.seq)
        : null,
  };
}
