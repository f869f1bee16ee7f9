// Background jobs kept in the database, so work in flight (setup, verification, finalization) survives a restart.
import type { Queryable } from '../db/database.js';
import type { Services } from './services.js';

export type JobKind = 'circuit.setup' | 'contribution.verify' | 'ceremony.finalize';

export interface JobRow {
  id: number;
  kind: JobKind;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface JobContext {
  signal: AbortSignal;
  /** True on the last try: a handler must then settle its work (e.g. reject) rather than throw for a retry. */
  lastAttempt: boolean;
}

export type JobHandlers = Record<JobKind, (s: Services, payload: never, job: JobContext) => Promise<void>>;

export const MAX_JOB_ATTEMPTS = 3;

export async function enqueueJob(
  tx: Queryable,
  kind: JobKind,
  payload: Record<string, unknown>,
): Promise<void> {
  await tx.query(`INSERT INTO jobs (kind, payload, state) VALUES ($1, $2, 'queued')`, [
    kind,
    JSON.stringify(payload),
  ]);
}

async function claimJob(s: Services): Promise<JobRow | undefined> {
  const rows = await s.db.query<JobRow>(
    `UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = now()
     WHERE id = (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, kind, payload, attempts`,
  );
  return rows[0];
}

/** Runs queued jobs with bounded concurrency; on start, jobs a crash left 'running' are queued again. */
export class JobRunner {
  private running = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly s: Services,
    private readonly handlers: JobHandlers,
  ) {}

  async start(): Promise<void> {
    // This instance owns every job (one coordinator per database), so 'running' rows were interrupted by a stop.
    await this.s.db.query(`UPDATE jobs SET state = 'queued', updated_at = now() WHERE state = 'running'`);
    this.timer = setInterval(() => this.wake(), 1000);
    this.timer.unref();
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running >= this.s.config.verifyConcurrency) return;
    // One slot at a time: runNext wakes the next slot itself once it has claimed a job.
    this.running += 1;
    const work = this.runNext().finally(() => {
      this.running -= 1;
      this.inFlight.delete(work);
    });
    this.inFlight.add(work);
  }

  private async runNext(): Promise<void> {
    const job = await claimJob(this.s).catch((err: unknown) => {
      if (!this.stopped) this.s.log.error({ err }, 'claiming a job failed');
      return undefined;
    });
    if (!job) return;
    this.wake();
    this.s.metrics.jobsRunning.inc();
    try {
      await this.handlers[job.kind](this.s, job.payload as never, {
        signal: this.abort.signal,
        lastAttempt: job.attempts >= MAX_JOB_ATTEMPTS,
      });
      if (!this.stopped)
        await this.s.db.query(`UPDATE jobs SET state = 'done', updated_at = now() WHERE id = $1`, [job.id]);
    } catch (err) {
      if (this.stopped) return;
      const state = job.attempts >= MAX_JOB_ATTEMPTS ? 'failed' : 'queued';
      this.s.log.error({ err, job: job.id, kind: job.kind, attempts: job.attempts }, 'job failed');
      await this.s.db
        .query('UPDATE jobs SET state = $2, last_error = $3, updated_at = now() WHERE id = $1', [
          job.id,
          state,
          String((err as Error).message ?? err),
        ])
        .catch(() => undefined);
    } finally {
      this.s.metrics.jobsRunning.dec();
    }
    this.wake();
  }

  /** Stops taking jobs and aborts those running; a job cut short stays 'running' and reruns at next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}
