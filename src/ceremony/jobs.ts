// Background jobs kept in the database, so work in flight (setup, verification, finalization) survives a restart.
// The runner alone decides retry or settle: a kind supplies `run` (the work) and `settle` (the public record of a
// failure that will not be retried); retries wait with exponential back-off.
import type { Queryable } from '../db/database.js';
import {
  claimDueJob,
  expireAllJobLeases,
  holdsJobLease,
  insertJob,
  type JobLease,
  type JobRow,
  markJobDone,
  markJobFailed,
  releaseJobLease,
  renewJobLease,
  scheduleJobRetry,
} from '../db/queries/jobs.js';
import { CeremonyError } from '../errors.js';
import type { Services } from './services.js';

export type JobKindName = 'circuit.setup' | 'contribution.verify' | 'ceremony.finalize' | 'witness.cosign';

export interface JobContext {
  /** Aborted when the server stops (the job is handed back to the queue) or when the lease was lost. */
  signal: AbortSignal;
  /** The job limit: each snarkjs child the job starts is killed after this long. */
  timeoutMs: number;
  /** 1 on the first try. */
  attempt: number;
  /** Throws `LeaseLostError` unless this try still holds the job's lease; call it in the transaction that commits. */
  requireLease(tx: Queryable): Promise<void>;
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

/** A try whose lease passed to another worker: its result is dropped and the row left to the new holder. */
export class LeaseLostError extends Error {
  constructor(jobId: number) {
    super(`the lease on job ${jobId} was lost to another worker`);
    this.name = 'LeaseLostError';
  }
}

export interface RunnerOptions {
  /** Names this process in the rows it leases (host, pid and a random part). */
  workerId: string;
  /** How long a claim holds a job without a heartbeat; renewed every third of it while the job runs. */
  leaseMs: number;
  /** Only with the embedded database, which one process alone can open: frees the leases a crash left at start. */
  freeLeasesAtStart: boolean;
}

/**
 * Runs due jobs with bounded concurrency under a lease: any number of runners may share the table, and a job whose
 * runner died is taken by another once its lease expires, never while the holder still renews it.
 */
export class JobRunner {
  private running = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly s: Services,
    private readonly kinds: JobKinds,
    private readonly options: RunnerOptions,
  ) {}

  async start(): Promise<void> {
    if (this.options.freeLeasesAtStart) await expireAllJobLeases(this.s.db, this.s.clock());
    // The timer picks up jobs whose back-off has passed and jobs whose holder's lease expired.
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

  private leaseEnd(now: Date): Date {
    return new Date(now.getTime() + this.options.leaseMs);
  }

  private async runNext(): Promise<void> {
    const now = this.s.clock();
    const job = await claimDueJob(this.s.db, this.options.workerId, now, this.leaseEnd(now)).catch(
      (err: unknown) => {
        if (!this.stopped) this.s.log.error({ err }, 'claiming a job failed');
        return undefined;
      },
    );
    if (!job) return;
    this.wake();
    this.s.metrics.jobsRunning.inc();
    try {
      await this.runLeased(job);
    } finally {
      this.s.metrics.jobsRunning.dec();
    }
    this.wake();
  }

  /** Runs the job while a heartbeat renews its lease; a lost lease aborts the try. */
  private async runLeased(job: JobRow): Promise<void> {
    const lease: JobLease = { id: job.id, token: job.lease_token };
    const lost = new AbortController();
    const heartbeat = setInterval(() => {
      renewJobLease(this.s.db, lease, this.leaseEnd(this.s.clock())).then(
        (held) => {
          if (!held && !lost.signal.aborted) {
            this.s.log.warn({ job: job.id }, 'job lease lost; abandoning the try');
            lost.abort(new LeaseLostError(job.id));
          }
        },
        // The database is away: keep trying; the lease may still be ours when it is back.
        (err: unknown) => this.s.log.warn({ err, job: job.id }, 'renewing a job lease failed'),
      );
    }, this.options.leaseMs / 3);
    heartbeat.unref();
    try {
      await this.runJob(job, lease, AbortSignal.any([this.abort.signal, lost.signal]));
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async runJob(job: JobRow, lease: JobLease, signal: AbortSignal): Promise<void> {
    const kind = this.kinds[job.kind as JobKindName];
    const payload = job.payload as never;
    try {
      if (!kind) throw new Error(`no job kind '${job.kind}'`);
      await kind.run(this.s, payload, {
        signal,
        timeoutMs: this.s.config.jobTimeoutSeconds * 1000,
        attempt: job.attempts,
        requireLease: async (tx) => {
          if (!(await holdsJobLease(tx, lease))) throw new LeaseLostError(job.id);
        },
      });
      if (!(await markJobDone(this.s.db, lease, this.s.clock())))
        this.s.log.warn({ job: job.id }, 'job finished after its lease was lost');
      return;
    } catch (error) {
      if (error instanceof LeaseLostError || signal.reason instanceof LeaseLostError) return;
      if (this.stopped) {
        // Handed back at once, so another worker need not wait for the lease to expire.
        await releaseJobLease(this.s.db, lease, this.s.clock()).catch(() => undefined);
        return;
      }
      const lastError = String((error as Error).message ?? error);
      this.s.log.error({ err: error, job: job.id, kind: job.kind, attempts: job.attempts }, 'job failed');
      try {
        if (kind && isFinalFailure(error, job.attempts)) {
          await kind.settle(this.s, payload, {
            error,
            publicMessage: publicMessageOf(error, kind.failureMessage),
          });
          await markJobFailed(this.s.db, lease, lastError, this.s.clock());
        } else {
          const now = this.s.clock();
          const delay = retryDelayMs(job.attempts, this.s.config.jobRetryDelayMs);
          await scheduleJobRetry(this.s.db, lease, lastError, new Date(now.getTime() + delay), now);
        }
      } catch (err) {
        // Left 'running', the job waits for its lease to expire; then any worker takes it again.
        this.s.log.error({ err, job: job.id }, 'settling a failed job failed');
      }
    }
  }

  /** Stops taking jobs, aborts those running and hands their leases back so another worker takes them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}
