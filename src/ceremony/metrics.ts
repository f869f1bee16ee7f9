// Prometheus metrics of one server instance (its own registry, so tests can build many apps).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly contributions: Counter<'result'>;
  readonly verifySeconds: Histogram;
  readonly verifyMaxRssBytes: Gauge;
  readonly transcriptEntries: Counter<'type'>;
  readonly jobsRunning: Gauge;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    contributions: new Counter({
      name: 'ceremony_contributions_total',
      help: 'Contributions decided, by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    verifySeconds: new Histogram({
      name: 'ceremony_verification_seconds',
      help: 'Wall time of one contribution verification (snarkjs verifyFromInit in a child process)',
      buckets: [0.5, 1, 2, 5, 10, 20, 40, 80, 160],
      registers: [registry],
    }),
    verifyMaxRssBytes: new Gauge({
      name: 'ceremony_verification_max_rss_bytes',
      help: 'Peak resident memory of the last verification child process',
      registers: [registry],
    }),
    transcriptEntries: new Counter({
      name: 'ceremony_transcript_entries_total',
      help: 'Transcript entries appended, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    jobsRunning: new Gauge({
      name: 'ceremony_jobs_running',
      help: 'Background jobs running',
      registers: [registry],
    }),
  };
}
