// Finalization: the public beacon applied last to every circuit, the outputs exported, the ceremony sealed.
import { rm } from 'node:fs/promises';
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import {
  beaconHexPattern,
  MAX_BEACON_SOURCE_LENGTH,
  MAX_ITERATIONS_EXP,
  MIN_ITERATIONS_EXP,
} from '../limits.js';
import { requireDisplayText } from '../names.js';
import {
  applyBeacon,
  exportSolidityVerifier,
  exportVerificationKey,
  verifyFromInit,
} from '../snark/runner.js';
import { readZkeyInfo } from '../snark/zkey-file.js';
import { closeRound, getCeremonyView } from './ceremonies.js';
import { type CeremonyRow, logEntry, withCeremonyLock } from './ceremony-row.js';
import { enqueueJob, type JobContext, type JobKind } from './jobs.js';
import { refuseWithoutApprovals } from './ownership.js';
import type { Services } from './services.js';
import type { CeremonyView } from './types.js';
import { haltOnDisagreementInTx } from './verifier-disagreement.js';

export interface FinalizeInput {
  beaconHex: string;
  beaconSource: string;
  iterationsExp: number;
}

/** The beacon request as the act takes it: checked, the source trimmed. */
export function checkFinalizeInput(input: FinalizeInput): FinalizeInput {
  if (!beaconHexPattern.test(input.beaconHex)) {
    throw new CeremonyError('BAD_REQUEST', 'beacon must be 1-64 bytes of lowercase hex');
  }
  const source = input.beaconSource.trim();
  if (source.length === 0 || source.length > MAX_BEACON_SOURCE_LENGTH)
    throw new CeremonyError('BAD_REQUEST', `beacon source must be 1-${MAX_BEACON_SOURCE_LENGTH} characters`);
  // Shown by the auditor and the web page like names and titles: the same characters are refused.
  requireDisplayText('beacon source', source);
  const exp = input.iterationsExp;
  if (!Number.isInteger(exp) || exp < MIN_ITERATIONS_EXP || exp > MAX_ITERATIONS_EXP) {
    throw new CeremonyError(
      'BAD_REQUEST',
      `iterations exponent must be an integer from ${MIN_ITERATIONS_EXP} to ${MAX_ITERATIONS_EXP}`,
    );
  }
  return { beaconHex: input.beaconHex, beaconSource: source, iterationsExp: exp };
}

/** Whether the ceremony may be finalized with this beacon now (checked again by every approval of it). */
export async function requireFinalizable(tx: Queryable, ceremony: CeremonyRow, input: FinalizeInput) {
  const ceremonyId = ceremony.id;
  if (ceremony.state === 'finalized' || ceremony.finalization?.status === 'running') {
    throw new CeremonyError(
      'WRONG_STATE',
      `ceremony '${ceremonyId}' is already ${ceremony.finalization?.status === 'running' ? 'finalizing' : 'finalized'}`,
    );
  }
  if (ceremony.state === 'draft')
    throw new CeremonyError('WRONG_STATE', 'cannot finalize a ceremony that never opened');
  const applied = await tx.query(
    'SELECT 1 FROM circuits WHERE ceremony_id = $1 AND final_zkey_sha256 IS NOT NULL',
    [ceremonyId],
  );
  const earlier = ceremony.finalization;
  // Every circuit gets the same beacon: a retry after a partial failure may not pick a new one.
  if (
    applied.length > 0 &&
    earlier &&
    (earlier.beaconHex !== input.beaconHex || earlier.iterationsExp !== input.iterationsExp)
  ) {
    throw new CeremonyError(
      'WRONG_STATE',
      `beacon ${earlier.beaconHex} (2^${earlier.iterationsExp}) is already applied to some circuits: finalize again with it`,
    );
  }
  const [halted] = await tx.query<{ name: string }>(
    'SELECT name FROM circuits WHERE ceremony_id = $1 AND halted_reason IS NOT NULL ORDER BY position LIMIT 1',
    [ceremonyId],
  );
  // A halted circuit's latest zkey is in doubt: no beacon goes on top of it.
  if (halted)
    throw new CeremonyError('WRONG_STATE', `circuit '${halted.name}' is halted by a verifier disagreement`);
}

/**
 * Closes the round if open and queues the beacon job, in the caller's transaction; `approvals` (the seq of the
 * `approval.given` entries that decided it) are listed again in `ceremony.finalized`.
 */
export async function startFinalization(
  tx: Queryable,
  s: Services,
  ceremony: CeremonyRow,
  input: FinalizeInput,
  approvals?: number[],
): Promise<void> {
  await requireFinalizable(tx, ceremony, input);
  const verifying = await tx.query(
    `SELECT 1 FROM contributions WHERE ceremony_id = $1 AND state = 'verifying'`,
    [ceremony.id],
  );
  if (verifying.length > 0)
    throw new CeremonyError('WRONG_STATE', 'a contribution is still being verified: try again shortly');
  // The beacon must be fixed after the round closed, so the round closes (and is logged) before it is applied.
  if (ceremony.state === 'open') await closeRound(tx, s, ceremony, s.clock());
  const finalization = { status: 'running', ...input, error: null, ...(approvals ? { approvals } : {}) };
  await tx.query('UPDATE ceremonies SET finalization = $2 WHERE id = $1', [
    ceremony.id,
    JSON.stringify(finalization),
  ]);
  await enqueueJob(tx, 'ceremony.finalize', { ceremonyId: ceremony.id });
}

/** One coordinator finalizes (ceremonies that need one approval). */
export async function requestFinalize(
  s: Services,
  ceremonyId: string,
  input: FinalizeInput,
): Promise<CeremonyView> {
  const checked = checkFinalizeInput(input);
  await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    refuseWithoutApprovals(ceremony, 'finalize');
    await startFinalization(tx, s, ceremony, checked);
  });
  s.events.jobQueued();
  return getCeremonyView(s.db, ceremonyId);
}

interface FinalCircuitRow {
  name: string;
  latest_zkey_sha256: string;
  initial_zkey_sha256: string;
  ptau_sha256: string;
  final_zkey_sha256: string | null;
}

/** Job: beacon per circuit (deterministic, so a rerun after a crash reproduces the same files), then exports. */
export const finalizeJob: JobKind<{ ceremonyId: string }> = {
  failureMessage: 'finalization failed: see the server log',

  run: (s, payload, job) => finalizeCircuits(s, payload.ceremonyId, job),

  async settle(s, payload, failure) {
    s.log.error({ ceremony: payload.ceremonyId, err: failure.error }, 'finalization failed');
    await withCeremonyLock(s, payload.ceremonyId, async (tx) => {
      await tx.query(
        `UPDATE ceremonies
         SET finalization = jsonb_set(jsonb_set(finalization, '{status}', '"failed"'), '{error}', to_jsonb($2::text))
         WHERE id = $1 AND finalization->>'status' = 'running'`,
        [payload.ceremonyId, failure.publicMessage],
      );
    });
  },
};

async function finalizeCircuits(s: Services, id: string, job: JobContext): Promise<void> {
  const { signal, timeoutMs } = job;
  const [ceremony] = await s.db.query<{
    finalization: (FinalizeInput & { status: string; approvals?: number[] }) | null;
  }>('SELECT finalization FROM ceremonies WHERE id = $1', [id]);
  const beacon = ceremony?.finalization;
  if (beacon?.status !== 'running') return;
  const circuits = await s.db.query<FinalCircuitRow>(
    `SELECT name, latest_zkey_sha256, initial_zkey_sha256, ptau_sha256, final_zkey_sha256 FROM circuits
     WHERE ceremony_id = $1 ORDER BY position`,
    [id],
  );
  for (const circuit of circuits) {
    if (circuit.final_zkey_sha256 !== null) continue;
    const out = s.store.tempPath('.zkey');
    try {
      const applied = await applyBeacon(
        await s.store.localPath(circuit.latest_zkey_sha256),
        out,
        'beacon',
        beacon.beaconHex,
        beacon.iterationsExp,
        { signal, timeoutMs },
      );
      const check = await verifyFromInit(
        await s.store.localPath(circuit.initial_zkey_sha256),
        await s.store.localPath(circuit.ptau_sha256),
        out,
        { signal, timeoutMs },
      );
      if (!check.ok) {
        // The zkey under the beacon passed the step checks: snarkjs refusing it now is a verifier disagreement.
        await withCeremonyLock(s, id, async (tx) => {
          await job.requireLease(tx);
          const [head] = await tx.query<{ contribution_index: number }>(
            'SELECT contribution_index FROM circuits WHERE ceremony_id = $1 AND name = $2',
            [id, circuit.name],
          );
          await haltOnDisagreementInTx(tx, s, id, {
            circuit: circuit.name,
            index: head?.contribution_index ?? 0,
            zkeySha256: circuit.latest_zkey_sha256,
            check: 'zKey.verifyFromInit (final, after the beacon)',
            acceptedBy: 'step',
          });
        });
        throw new CeremonyError(
          'VERIFIER_DISAGREEMENT',
          `the beacon zkey of '${circuit.name}' does not verify: the step verifier and snarkjs disagree`,
        );
      }
      const info = await readZkeyInfo(out);
      const last = info.contributions.at(-1);
      if (last?.contributionHash !== applied.contributionHash)
        throw new CeremonyError('INTERNAL', 'beacon hash mismatch');
      const sha256 = await s.store.adoptFile(out);
      await withCeremonyLock(s, id, async (tx) => {
        await job.requireLease(tx);
        // Once per circuit, even if two runs of the job ever overlapped.
        const updated = await tx.query(
          'UPDATE circuits SET final_zkey_sha256 = $3 WHERE ceremony_id = $1 AND name = $2 AND final_zkey_sha256 IS NULL RETURNING name',
          [id, circuit.name, sha256],
        );
        if (updated.length === 0) return;
        await logEntry(tx, s, id, 'beacon.applied', {
          circuit: circuit.name,
          beaconHex: beacon.beaconHex,
          beaconSource: beacon.beaconSource,
          iterationsExp: beacon.iterationsExp,
          zkeySha256: sha256,
          contributionHash: applied.contributionHash,
        });
      });
    } finally {
      await rm(out, { force: true });
    }
  }
  const outputs: {
    circuit: string;
    finalZkeySha256: string;
    verificationKeySha256: string;
    verifierSolSha256: string;
  }[] = [];
  const finals = await s.db.query<{ name: string; final_zkey_sha256: string }>(
    'SELECT name, final_zkey_sha256 FROM circuits WHERE ceremony_id = $1 ORDER BY position',
    [id],
  );
  for (const circuit of finals) {
    const zkey = await s.store.localPath(circuit.final_zkey_sha256);
    const { verificationKey } = await exportVerificationKey(zkey, { signal, timeoutMs });
    const { solidity } = await exportSolidityVerifier(zkey, { signal, timeoutMs });
    outputs.push({
      circuit: circuit.name,
      finalZkeySha256: circuit.final_zkey_sha256,
      verificationKeySha256: await s.store.putBytes(`${JSON.stringify(verificationKey, null, 1)}\n`),
      verifierSolSha256: await s.store.putBytes(solidity),
    });
  }
  await withCeremonyLock(s, id, async (tx, row) => {
    await job.requireLease(tx);
    if (row.state === 'finalized') return;
    for (const o of outputs) {
      await tx.query(
        'UPDATE circuits SET verification_key_sha256 = $3, verifier_sol_sha256 = $4 WHERE ceremony_id = $1 AND name = $2',
        [id, o.circuit, o.verificationKeySha256, o.verifierSolSha256],
      );
    }
    await tx.query(
      `UPDATE ceremonies SET state = 'finalized', finalization = jsonb_set(finalization, '{status}', '"done"') WHERE id = $1`,
      [id],
    );
    const circuits = outputs.map((o) => ({ ...o }));
    const approvals = beacon.approvals;
    await logEntry(tx, s, id, 'ceremony.finalized', approvals ? { circuits, approvals } : { circuits });
  });
}
