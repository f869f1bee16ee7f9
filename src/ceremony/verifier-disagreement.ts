// A verifier disagreement: the step verifier accepted a zkey that snarkjs verifyFromInit (the periodic or final
// cross-check) refused. That is not the participant's fault to retry but a sign that an earlier accepted zkey may be
// damaged, so the circuit hands out no more turns until the coordinator steps in (docs/RUNBOOK.md).
import type { Queryable } from '../db/database.js';
import { logEntry } from './ceremony-row.js';
import type { Services } from './services.js';

export interface Disagreement {
  circuit: string;
  /** The contribution index whose zkey the cross-check refused. */
  index: number;
  zkeySha256: string;
  /** The check that refused it. */
  check: string;
  /** The methods that had accepted it. */
  acceptedBy: string;
}

/**
 * Halts the circuit and logs the disagreement, in the caller's transaction (before its turns move on). Once per
 * halt: a retried job finding the circuit already halted logs nothing more.
 */
export async function haltOnDisagreementInTx(
  tx: Queryable,
  s: Services,
  ceremonyId: string,
  d: Disagreement,
): Promise<void> {
  const reason = `the step verifier accepted contribution ${d.index}, ${d.check} refused it`;
  const halted = await tx.query(
    `UPDATE circuits SET halted_reason = $3 WHERE ceremony_id = $1 AND name = $2 AND halted_reason IS NULL
     RETURNING name`,
    [ceremonyId, d.circuit, reason],
  );
  if (halted.length === 0) return;
  await logEntry(tx, s, ceremonyId, 'verifier.disagreement', {
    circuit: d.circuit,
    index: d.index,
    zkeySha256: d.zkeySha256,
    check: d.check,
    acceptedBy: d.acceptedBy,
  });
  s.metrics.verifierDisagreements.inc();
  s.log.error({ ceremony: ceremonyId, ...d }, 'verifier disagreement: the circuit hands out no more turns');
}
