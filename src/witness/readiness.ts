// What /readyz says of the witnesses: the quorum, each ceremony's lag, and every refusal a witness gave this log.
import { witnessLag } from '../ceremony/metrics.js';
import type { Services } from '../ceremony/services.js';
import { selectWitnessStanding } from '../db/queries/witnesses.js';

export interface WitnessReadiness {
  quorum: number;
  /** Entries not yet cosigned by the quorum, per ceremony that has any. */
  lag: Record<string, number>;
  refusals: { ceremony: string; witness: string; reason: string }[];
}

const MAX_REFUSALS_SHOWN = 20;

export async function witnessReadiness(s: Services): Promise<WitnessReadiness> {
  const rows = await selectWitnessStanding(s.db);
  const keys = s.config.witnesses.map((w) => w.key.vkey);
  const lag: Record<string, number> = {};
  for (const [ceremony, entries] of witnessLag(rows, keys, s.config.witnessQuorum))
    if (entries > 0) lag[ceremony] = entries;
  const nameOf = new Map(s.config.witnesses.map((w) => [w.key.vkey, w.key.name]));
  const refusals = rows
    .filter((r) => r.refusal !== null && r.witness !== null && nameOf.has(r.witness))
    .slice(0, MAX_REFUSALS_SHOWN)
    .map((r) => ({
      ceremony: r.ceremony_id,
      witness: nameOf.get(r.witness ?? '') ?? '',
      reason: r.refusal ?? '',
    }));
  return { quorum: s.config.witnessQuorum, lag, refusals };
}
