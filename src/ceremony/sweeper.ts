// Settles work whose background job is dead (failed on its last try, or gone), so nothing stays held forever.
import { rejectVerifying } from './contributions.js';
import type { Services } from './services.js';

// A job that can still run: queued, or running now.
const LIVE_JOB = `SELECT 1 FROM jobs j WHERE j.state IN ('queued', 'running')`;

export interface SweepResult {
  contributions: string[];
  circuits: string[];
  finalizations: string[];
}

/** Rejects verifying contributions, fails preparing circuits and running finalizations that no live job serves. */
export async function settleDeadJobs(s: Services): Promise<SweepResult> {
  const result: SweepResult = { contributions: [], circuits: [], finalizations: [] };
  const stuck = await s.db.query<{ id: string; ceremony_id: string }>(
    `SELECT k.id, k.ceremony_id FROM contributions k WHERE k.state = 'verifying' AND NOT EXISTS (
       ${LIVE_JOB} AND j.kind = 'contribution.verify' AND j.payload->>'contributionId' = k.id)`,
  );
  for (const c of stuck) {
    const message = 'the verification could not be completed (the server gave up on it); join again to retry';
    if (await rejectVerifying(s, c.ceremony_id, c.id, 'VERIFIER_ERROR', message, s.clock())) {
      result.contributions.push(c.id);
    }
  }
  const circuits = await s.db.query<{ ceremony_id: string; name: string }>(
    `UPDATE circuits c SET status = 'failed', error = 'computing the initial zkey stopped: retry the circuit'
     WHERE c.status = 'preparing' AND NOT EXISTS (${LIVE_JOB} AND j.kind = 'circuit.setup'
       AND j.payload->>'ceremonyId' = c.ceremony_id AND j.payload->>'circuit' = c.name)
     RETURNING c.ceremony_id, c.name`,
  );
  for (const c of circuits) result.circuits.push(`${c.ceremony_id}/${c.name}`);
  const finalizations = await s.db.query<{ id: string }>(
    `UPDATE ceremonies c SET finalization = jsonb_set(jsonb_set(finalization, '{status}', '"failed"'),
       '{error}', '"finalization stopped: finalize again"')
     WHERE c.finalization->>'status' = 'running' AND NOT EXISTS (${LIVE_JOB} AND j.kind = 'ceremony.finalize'
       AND j.payload->>'ceremonyId' = c.id)
     RETURNING c.id`,
  );
  for (const c of finalizations) result.finalizations.push(c.id);
  const settled = result.contributions.length + result.circuits.length + result.finalizations.length;
  if (settled > 0) s.log.warn(result, 'settled work whose background job was dead');
  for (const c of circuits) s.events.ceremonyChanged(c.ceremony_id);
  return result;
}
