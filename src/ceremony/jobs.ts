// Background jobs kept in the database, so work in flight (setup, verification, finalization) survives a restart.
// The runner alone decides retry or settle: a kind supplies `run` (the work) and `settle` (the public record of a
// failure that will not be retried); retries wait with exponential back-off.
import { setTimeout as wait } from 'node:timers/promises';
import type { Queryable } from '../db/database.js';
import {
  claimDueJob,
  insertJob,
  type JobRow,
  markJobDone,
  markJobFailed,
  requeueRunningJobs,
  scheduleJobRetry,
} from '../db/queries/jobs.js';
import { CeremonyError } from '../errors.js';
import type { Services } from './services.js';

export type JobKindName = 'circuit.setup' | 'contribution.verify' | 'ceremony.finalize';

export interface JobContext {
  /** Aborted when the server stops: the job stays 'running' and runs again at the next start. */
  signal: AbortSignal;
  /** The job limit: each snarkjs child the job starts is killed after this long. */
  timeoutMs: number;
  /** 1 on the first try. */
  attempt: number;
}

export interface JobFailure {
  error: unknown;
  /** Safe to show publicly: a catalogue message, or the kind's own `failureMessage`; details stay in the log. */
  publicMessage: string;
}

export interface JobKind<P> {
  /** Public message of a failure that carries no catalogue message of its own. */
  readonly failureMessage: string;
  /** Does the work and commits its result; throws to fail this try. Must be safe to run again after a crash. */
  run(s: Services, payload: P, ctx: JobContext): Promise<void>;
  /** Records a failure that will not be retried (e.g. marks the circuit failed, rejects the contribution). */
  settle(s: Services, payload: P, failure: JobFailure): Promise<void>;
}

export type JobKinds = Record<JobKindName, JobKind<never>>;

export const MAX_JOB_ATTEMPTS = 3;

/** Queues a job in the caller's transaction; call `s.events.jobQueued()` after the commit. */
export async function enqueueJob(
  tx: Queryable,
  kind: JobKindName,
  payload: Record<string, unknown>,
): Promise<void> {
  await insertJob(tx, kind, payload);
}

/**
 * A catalogue refusal would only repeat, so it settles at once; anything else, and `UNAVAILABLE` (the database or the
 * object store away for a moment), is retried until attempts run out.
 */
export function isFinalFailure(error: unknown, attempts: number): boolean {
  const refusal = error instanceof CeremonyError && error.code !== 'UNAVAILABLE';
  return refusal || attempts >= MAX_JOB_ATTEMPTS;
}

export function publicMessageOf(error: unknown, fallback: string): string {
  return error instanceof CeremonyError && error.status < 500 ? error.message : fallback;
}

/** Wait before try `attempts + 1`: base, 2×base, 4×base… capped at a minute. */
export function retryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(60_000, baseMs * 2 ** Math.max(0, attempts - 1));
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
    private readonly kinds: JobKinds,
  ) {}

  async start(): Promise<void> {
    // This instance owns every job (one coordinator per database), so 'running' rows were interrupted by a stop.
    await requeueRunningJobs(this.s.db, this.s.clock());
    // The timer picks up jobs whose back-off has passed.
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
    const job = await claimDueJob(this.s.db, this.s.clock()).catch((err: unknown) => {
      if (!this.stopped) this.s.log.error({ err }, 'claiming a job failed');
      return undefined;
    });
    if (!job) return;
    this.wake();
    this.s.metrics.jobsRunning.inc();
    try {
      await this.runJob(job);
    } finally {
      this.s.metrics.jobsRunning.dec();
    }
    this.wake();
  }

  private async runJob(job: JobRow): Promise<void> {
    const kind = this.kinds[job.kind as JobKindName];
    const payload = job.payload as never;
    try {
      if (!kind) throw new Error(`no job kind '${job.kind}'`);
      await kind.run(this.s, payload, {
        signal: this.abort.signal,
        timeoutMs: this.s.config.jobTimeoutSeconds * 1000,
        attempt: job.attempts,
      });
      if (!this.stopped) await markJobDone(this.s.db, job.id, this.s.clock());
      return;
    } catch (error) {
      if (this.stopped) return;
      const lastError = String((error as Error).message ?? error);
      this.s.log.error({ err: error, job: job.id, kind: job.kind, attempts: job.attempts }, 'job failed');
      try {
        if (kind && isFinalFailure(error, job.attempts)) {
          await kind.settle(this.s, payload, {
            error,
            publicMessage: publicMessageOf(error, kind.failureMessage),
          });
          await markJobFailed(this.s.db, job.id, lastError, this.s.clock());
        } else {
          const now = this.s.clock();
          const delay = retryDelayMs(job.attempts, this.s.config.jobRetryDelayMs);
          await scheduleJobRetry(this.s.db, job.id, lastError, new Date(now.getTime() + delay), now);
        }
      } catch (err) {
        this.s.log.error({ err, job: job.id }, 'settling a failed job failed');
        await this.requeueOnceReachable(job.id, lastError);
      }
    }
  }

  /** Left 'running', the job would hold its turn until the next restart: queue it again once the database is back. */
  private async requeueOnceReachable(id: number, lastError: string): Promise<void> {
    for (let delay = 1000; !this.stopped; delay = Math.min(delay * 2, 30_000)) {
      await wait(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
      if (this.stopped) return;
      try {
        const now = this.s.clock();
        await scheduleJobRetry(this.s.db, id, lastError, now, now);
        return;
      } catch {
        // Still away: try again after a longer pause.
      }
    }
  }

  /** Stops taking jobs and aborts those running; a job cut short stays 'running' and reruns at next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}
