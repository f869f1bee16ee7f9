// The periodic work of the coordinator (turn deadlines, the sweeper, purges): run by one process at a time, the
// holder of the scheduler lock (docs/SCALING.md); turns stay serialized per ceremony by its row lock regardless.

import { dropEndedUploads } from '../uploads/upload-offset.js';
import { queueLaggingWitnessJobs } from '../witness/cosign-job.js';
import { purgeExpiredCredentials } from './auth.js';
import { tickQueues } from './queue.js';
import type { Services } from './services.js';
import { settleDeadJobs } from './sweeper.js';
import { purgeExpiredUploadClaims } from './upload-claims.js';

export interface Scheduler {
  start(): void;
  stop(): void;
}

/** Ticks every `schedulerIntervalMs`; a tick still running when the next is due makes that one skip. */
export function createScheduler(s: Services, onError: (err: unknown) => void): Scheduler {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let ticks = 0;
  const purgeEveryTicks = Math.max(
    1,
    Math.round((s.config.sweepIntervalSeconds * 1000) / s.config.schedulerIntervalMs),
  );
  const tick = () => {
    if (running) return;
    running = true;
    ticks += 1;
    // Deadlines every tick; dead jobs every 5 (a cheap query); credentials, claims, stale uploads every sweep interval.
    const everyMinute = ticks % purgeEveryTicks === 0;
    Promise.all([
      tickQueues(s),
      ticks % 5 === 0 ? settleDeadJobs(s) : undefined,
      everyMinute ? purgeExpiredCredentials(s) : undefined,
      everyMinute || ticks === 1 ? queueLaggingWitnessJobs(s) : undefined,
      everyMinute ? purgeExpiredUploadClaims(s) : undefined,
      everyMinute ? s.store.sweepStaleParts() : undefined,
      // A cut upload is kept for a resume only while its turn lasts.
      everyMinute ? dropEndedUploads(s) : undefined,
      // PGlite has no autovacuum: without fresh statistics its planner walks every turn instead of using an index.
      everyMinute && s.db.kind === 'pglite'
        ? s.db.exec('ANALYZE turns, participants, contributions')
        : undefined,
    ])
      .catch(onError)
      .finally(() => {
        running = false;
      });
  };
  return {
    start() {
      if (timer) return;
      timer = setInterval(tick, s.config.schedulerIntervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
