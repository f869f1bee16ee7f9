// The remedy for a verifier disagreement: the coordinator makes the zkey at an earlier index (the last one the snarkjs
// cross-check passed) current again. The later accepted contributions stay in the log, voided by the
// `circuit.rewound` entry, and turns resume from that index + 1 (docs/RUNBOOK.md).
import { CeremonyError } from '../errors.js';
import { logEntry, requireState, withCeremonyLock } from './ceremony-row.js';
import type { Services } from './services.js';
import { prepareStep } from './streamed-step.js';
import { advanceTurns } from './turns.js';

export interface Rewound {
  circuit: string;
  toIndex: number;
  zkeySha256: string;
  voidedIndexes: number[];
}

/** Rewinds a halted circuit to `toIndex`, in one transaction with its `circuit.rewound` entry. */
export async function rewindCircuit(
  s: Services,
  ceremonyId: string,
  circuit: string,
  toIndex: number,
): Promise<Rewound> {
  const now = s.clock();
  const rewound = await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['open', 'closed'], 'rewind a circuit');
    const [row] = await tx.query<{
      contribution_index: number;
      initial_zkey_sha256: string | null;
      halted_reason: string | null;
    }>(
      `SELECT contribution_index, initial_zkey_sha256, halted_reason FROM circuits
       WHERE ceremony_id = $1 AND name = $2 FOR UPDATE`,
      [ceremonyId, circuit],
    );
    if (!row) throw new CeremonyError('NOT_FOUND', `no circuit '${circuit}'`);
    // Voiding honest contributions is no everyday tool: only a disagreement opens the way.
    if (row.halted_reason === null)
      throw new CeremonyError('WRONG_STATE', `circuit '${circuit}' is not halted by a verifier disagreement`);
    if (!Number.isSafeInteger(toIndex) || toIndex < 0 || toIndex > row.contribution_index)
      throw new CeremonyError(
        'BAD_REQUEST',
        `index ${toIndex} is not between 0 and the circuit's contribution index ${row.contribution_index}`,
      );
    const [busy] = await tx.query(
      `SELECT 1 FROM turns WHERE ceremony_id = $1 AND circuit_name = $2 AND state IN ('active', 'verifying')`,
      [ceremonyId, circuit],
    );
    if (busy) throw new CeremonyError('WRONG_STATE', `a turn on circuit '${circuit}' is still running`);
    let zkeySha256 = row.initial_zkey_sha256;
    if (toIndex > 0) {
      const [at] = await tx.query<{ zkey_sha256: string }>(
        `SELECT zkey_sha256 FROM contributions WHERE ceremony_id = $1 AND circuit_name = $2 AND idx = $3
           AND state = 'accepted' AND voided_seq IS NULL`,
        [ceremonyId, circuit, toIndex],
      );
      zkeySha256 = at?.zkey_sha256 ?? null;
    }
    if (!zkeySha256) throw new CeremonyError('NOT_FOUND', `no zkey ${toIndex} for circuit '${circuit}'`);
    const voided = await tx.query<{ id: string; idx: number }>(
      `SELECT id, idx FROM contributions WHERE ceremony_id = $1 AND circuit_name = $2 AND idx > $3
         AND state = 'accepted' AND voided_seq IS NULL ORDER BY idx`,
      [ceremonyId, circuit, toIndex],
    );
    const body = { circuit, toIndex, zkeySha256, voidedIndexes: voided.map((v) => v.idx) };
    const entry = await logEntry(tx, s, ceremonyId, 'circuit.rewound', body);
    await tx.query('UPDATE contributions SET voided_seq = $2 WHERE id = ANY($1)', [
      voided.map((v) => v.id),
      entry.seq,
    ]);
    await tx.query(
      `UPDATE circuits SET contribution_index = $3, latest_zkey_sha256 = $4, halted_reason = NULL
       WHERE ceremony_id = $1 AND name = $2`,
      [ceremonyId, circuit, toIndex, zkeySha256],
    );
    if (ceremony.state === 'open') await advanceTurns(tx, s, ceremony, now);
    return body;
  });
  s.log.warn({ ceremony: ceremonyId, ...rewound }, 'circuit rewound by the coordinator');
  if (s.config.role !== 'worker') prepareStep(s, rewound.zkeySha256);
  return rewound;
}
