// The coordinator asks its witnesses to cosign each ceremony's latest checkpoint: a background job (never the append
// path) that sends each witness a consistency proof from the size it holds, learns that size from a 409, stores the
// cosignatures, and reports refusals loudly. A witness down or slow makes the job retry with back-off; after the
// runner's tries the minute sweep queues it again while any witness lags.
import type { JobKind } from '../ceremony/jobs.js';
import { MAX_JOB_ATTEMPTS } from '../ceremony/jobs.js';
import type { Services } from '../ceremony/services.js';
import { fromHex } from '../crypto/hex.js';
import { selectLatestCheckpoint } from '../db/queries/transcript.js';
import * as q from '../db/queries/witnesses.js';
import { CeremonyError } from '../errors.js';
import { proveConsistency } from '../transcript/log.js';
import { parseNote } from '../transcript/note.js';
import { submitCheckpoint } from './client.js';
import type { WitnessEndpoint } from './witness-list.js';

export interface WitnessJobPayload {
  ceremonyId: string;
}

type Outcome = 'cosigned' | 'refused' | 'unreachable';

// Two 409s in a row mean the witness moved while we asked (another coordinator, or a race): try again later.
const MAX_RESENDS = 2;

export const witnessCosignJob: JobKind<WitnessJobPayload> = {
  failureMessage: 'asking the witnesses failed',
  async run(s, { ceremonyId }, ctx) {
    const latest = await selectLatestCheckpoint(s.db, ceremonyId);
    if (latest === undefined) return;
    const heads = new Map((await q.selectWitnessHeads(s.db, ceremonyId)).map((h) => [h.witness, h]));
    const outcomes = await Promise.all(
      s.config.witnesses.map((w) =>
        askWitness(s, ceremonyId, latest, w, heads.get(w.key.vkey)).catch((err: unknown) => {
          s.log.warn({ err, ceremony: ceremonyId, witness: w.key.name }, 'asking a witness failed');
          return 'unreachable' as const;
        }),
      ),
    );
    const unreachable = outcomes.filter((o) => o === 'unreachable').length;
    // The runner's last try ends quietly (no failed job, no verifier alert); the minute sweep queues the next.
    if (unreachable > 0 && ctx.attempt < MAX_JOB_ATTEMPTS)
      throw new CeremonyError('UNAVAILABLE', `${unreachable} witness(es) did not answer`);
  },
  async settle() {},
};

async function askWitness(
  s: Services,
  ceremonyId: string,
  latest: { tree_size: number; note: string },
  witness: WitnessEndpoint,
  head: q.WitnessHeadRow | undefined,
): Promise<Outcome> {
  if ((head?.cosigned_size ?? 0) >= latest.tree_size && head?.refusal == null) return 'cosigned';
  const checkpointBody = parseNote(latest.note).body;
  let heldSize = head?.held_size ?? 0;
  const cosignedSize = head?.cosigned_size ?? 0;
  for (let sends = 0; sends <= MAX_RESENDS; sends++) {
    const record = (refusal: string | null, size = heldSize, cosigned = cosignedSize) =>
      q.upsertWitnessHead(
        s.db,
        ceremonyId,
        witness.key.vkey,
        { heldSize: size, cosignedSize: cosigned, refusal },
        s.clock(),
      );
    if (heldSize > latest.tree_size) {
      return refused(
        s,
        ceremonyId,
        witness,
        record,
        `holds size ${heldSize}, more than this log's ${latest.tree_size}: the log was rolled back`,
      );
    }
    const proof = (await proveConsistency(s.db, ceremonyId, heldSize, latest.tree_size)).map((h) =>
      fromHex(h, 32),
    );
    const started = Date.now();
    const answer = await submitCheckpoint(
      witness,
      { oldSize: heldSize, proof, note: latest.note, checkpointBody },
      s.config.witnessTimeoutMs,
    );
    s.metrics.witnessRequestSeconds.observe({ result: answer.kind }, (Date.now() - started) / 1000);
    switch (answer.kind) {
      case 'cosigned':
        await q.insertWitnessCosignature(s.db, ceremonyId, latest.tree_size, witness.key.vkey, answer.line);
        await record(null, latest.tree_size, latest.tree_size);
        return 'cosigned';
      case 'conflict':
        heldSize = answer.heldSize;
        await record(head?.refusal ?? null);
        continue;
      case 'refused':
        return refused(s, ceremonyId, witness, record, `answered ${answer.status}: ${answer.reason}`);
      case 'unreachable':
        s.log.warn(
          { ceremony: ceremonyId, witness: witness.key.name, reason: answer.reason },
          'witness did not answer',
        );
        return 'unreachable';
    }
  }
  return 'unreachable';
}

async function refused(
  s: Services,
  ceremonyId: string,
  witness: WitnessEndpoint,
  record: (refusal: string) => Promise<void>,
  reason: string,
): Promise<Outcome> {
  // Loud: a witness refusing a log it cosigned before is what a rollback or a split view looks like.
  s.log.error(
    { ceremony: ceremonyId, witness: witness.key.name, reason },
    'witness refused this log: rollback or split view? see docs/RUNBOOK.md "A witness refuses the log"',
  );
  s.metrics.witnessRefusals.inc({ witness: witness.key.name });
  await record(reason);
  return 'refused';
}

/** Queues a witness job for `ceremonyId` after a commit, unless one is queued already; never awaited by an append. */
export async function queueWitnessJob(s: Services, ceremonyId: string): Promise<void> {
  if (s.config.witnesses.length === 0) return;
  if (await q.insertWitnessJobUnlessQueued(s.db, ceremonyId)) s.events.jobQueued();
}

/** The sweep: a job for every ceremony some witness has not cosigned up to date and no live job serves. */
export async function queueLaggingWitnessJobs(s: Services): Promise<number> {
  if (s.config.witnesses.length === 0) return 0;
  const ids = await q.selectUnwitnessedCeremonies(
    s.db,
    s.config.witnesses.map((w) => w.key.vkey),
  );
  for (const id of ids) await q.insertWitnessJobUnlessQueued(s.db, id);
  if (ids.length > 0) s.events.jobQueued();
  return ids.length;
}
