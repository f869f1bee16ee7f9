// Prometheus metrics of one server instance (its own registry, so tests can build many apps). Counters and
// histograms are fed where things happen; gauges of state (queues, turns, jobs, publishing, pool, disk) are read at
// scrape time, so they cannot drift from the database.
import { statfs } from 'node:fs/promises';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import * as q from '../db/queries/metrics.js';
import { selectWitnessStanding } from '../db/queries/witnesses.js';

export interface Metrics {
  readonly registry: Registry;
  readonly contributions: Counter<'result'>;
  readonly verifySeconds: Histogram;
  readonly verifyMaxRssBytes: Gauge;
  readonly transcriptEntries: Counter<'type'>;
  readonly jobsRunning: Gauge;
  readonly rejections: Counter<'reason'>;
  readonly verifierDisagreements: Counter;
  readonly turnSeconds: Histogram<'outcome'>;
  readonly uploadBytes: Histogram<'kind'>;
  readonly uploadSeconds: Histogram<'kind'>;
  readonly witnessRefusals: Counter<'witness'>;
  readonly witnessRequestSeconds: Histogram<'result'>;
}

/** What the scrape-time gauges read. */
export interface StateSources {
  db: Database;
  dataDir: string;
  /** Tree size the published files show for a ceremony, if published since start. */
  publishedSize(ceremonyId: string): number | undefined;
  /** The listed witnesses' vkeys and the quorum; no witness gauge without witnesses. */
  witnesses: readonly string[];
  witnessQuorum: number;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    contributions: new Counter({
      name: 'ceremony_contributions_total',
      help: 'Contributions decided, by result',
      labelNames: ['result'],
      registers,
    }),
    verifySeconds: new Histogram({
      name: 'ceremony_verification_seconds',
      help: 'Wall time of one contribution verification (snarkjs verifyFromInit in a child process)',
      buckets: [0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320],
      registers,
    }),
    verifyMaxRssBytes: new Gauge({
      name: 'ceremony_verification_max_rss_bytes',
      help: 'Peak resident memory of the last verification child process',
      registers,
    }),
    transcriptEntries: new Counter({
      name: 'ceremony_transcript_entries_total',
      help: 'Transcript entries appended, by type',
      labelNames: ['type'],
      registers,
    }),
    jobsRunning: new Gauge({ name: 'ceremony_jobs_running', help: 'Background jobs running', registers }),
    verifierDisagreements: new Counter({
      name: 'ceremony_verifier_disagreements_total',
      help: 'zkeys the step verifier accepted and snarkjs verifyFromInit refused (each halts its circuit)',
      registers,
    }),
    rejections: new Counter({
      name: 'ceremony_rejections_total',
      help: 'Contributions rejected, by reason (an error code)',
      labelNames: ['reason'],
      registers,
    }),
    turnSeconds: new Histogram({
      name: 'ceremony_turn_seconds',
      help: 'Turn length from activation to its end, by outcome (accepted, rejected, or the expiry reason)',
      labelNames: ['outcome'],
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
      registers,
    }),
    uploadBytes: new Histogram({
      name: 'ceremony_upload_bytes',
      help: 'Size of a received upload (zkey contribution, or r1cs/ptau blob)',
      labelNames: ['kind'],
      buckets: [1e5, 1e6, 1e7, 1e8, 1e9, 4e9],
      registers,
    }),
    uploadSeconds: new Histogram({
      name: 'ceremony_upload_seconds',
      help: 'Time to receive, hash and fsync an upload',
      labelNames: ['kind'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900],
      registers,
    }),
    witnessRefusals: new Counter({
      name: 'ceremony_witness_refusals_total',
      help: 'Witness answers refusing a checkpoint (409 ahead of the log, 403, 404, 422): a rollback or a split view',
      labelNames: ['witness'],
      registers,
    }),
    witnessRequestSeconds: new Histogram({
      name: 'ceremony_witness_request_seconds',
      help: 'Time of one add-checkpoint request to a witness, by outcome',
      labelNames: ['result'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers,
    }),
  };
}

/**
 * Entries of each ceremony's log not yet covered by `quorum` witness cosignatures: the size of its latest checkpoint
 * less the newest size that `quorum` distinct listed witnesses cosigned.
 */
export function witnessLag(
  rows: readonly {
    ceremony_id: string;
    size: number;
    witness: string | null;
    cosigned_size: number | null;
  }[],
  witnesses: readonly string[],
  quorum: number,
): Map<string, number> {
  const cosigned = new Map<string, { size: number; sizes: number[] }>();
  for (const r of rows) {
    const entry = cosigned.get(r.ceremony_id) ?? { size: r.size, sizes: [] };
    if (r.witness !== null && witnesses.includes(r.witness)) entry.sizes.push(r.cosigned_size ?? 0);
    cosigned.set(r.ceremony_id, entry);
  }
  const lag = new Map<string, number>();
  for (const [id, { size, sizes }] of cosigned) {
    const sorted = [...sizes].sort((a, b) => b - a);
    lag.set(id, quorum === 0 ? 0 : size - (sorted[quorum - 1] ?? 0));
  }
  return lag;
}

/** Times a streamed upload and records its size once it is stored; failures are not recorded. */
export async function measureUpload<T extends { size: number }>(
  metrics: Metrics,
  kind: 'zkey' | 'blob',
  receiving: Promise<T>,
): Promise<T> {
  const started = performance.now();
  const file = await receiving;
  metrics.uploadSeconds.observe({ kind }, (performance.now() - started) / 1000);
  metrics.uploadBytes.observe({ kind }, file.size);
  return file;
}

/** A gauge whose values are recomputed from `read` at every scrape; old label sets vanish. */
function stateGauge<L extends string>(
  metrics: Metrics,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: (set: (labels: Record<L, string>, value: number) => void) => Promise<void>,
): void {
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      // A scrape must answer while the database is away: the gauges are then empty and database_up says why.
      await read((labels, value) => this.set(labels as never, value)).catch(() => undefined);
    },
  });
}

/** Registers the gauges an operator watches: queues, held turns, jobs, publish lag, database, disk. */
export function registerStateGauges(metrics: Metrics, sources: StateSources): void {
  const { db } = sources;
  // Registered with or without witnesses, so the alert rule's metric always exists (empty when none are configured).
  stateGauge(
    metrics,
    'ceremony_witness_lag_entries',
    'Entries of the log not yet cosigned by WITNESS_QUORUM witnesses',
    ['ceremony'],
    async (set) => {
      if (sources.witnesses.length === 0) return;
      const lag = witnessLag(await selectWitnessStanding(db), sources.witnesses, sources.witnessQuorum);
      for (const [ceremony, entries] of lag) set({ ceremony }, entries);
    },
  );
  stateGauge(metrics, 'ceremony_database_up', '1 when the database answered this scrape', [], async (set) => {
    set(
      {},
      await db.query('SELECT 1').then(
        () => 1,
        () => 0,
      ),
    );
  });
  stateGauge(
    metrics,
    'ceremony_queue_waiting',
    'Turns waiting, per circuit of open ceremonies',
    ['ceremony', 'circuit'],
    async (set) => {
      for (const r of await q.selectQueueStats(db))
        set({ ceremony: r.ceremony_id, circuit: r.circuit_name }, r.waiting);
    },
  );
  stateGauge(
    metrics,
    'ceremony_queue_oldest_wait_seconds',
    'How long the longest-waiting turn has been in line',
    ['ceremony', 'circuit'],
    async (set) => {
      for (const r of await q.selectQueueStats(db))
        set({ ceremony: r.ceremony_id, circuit: r.circuit_name }, r.oldest_wait_seconds);
    },
  );
  stateGauge(
    metrics,
    'ceremony_turn_held_seconds',
    'Age of the turn holding a circuit (active or verifying)',
    ['ceremony', 'circuit', 'state'],
    async (set) => {
      for (const r of await q.selectHeldTurns(db))
        set({ ceremony: r.ceremony_id, circuit: r.circuit_name, state: r.state }, r.age_seconds);
    },
  );
  stateGauge(
    metrics,
    'ceremony_turn_overdue_seconds',
    'How far an active turn is past its deadline (0 when not)',
    ['ceremony', 'circuit'],
    async (set) => {
      for (const r of await q.selectHeldTurns(db))
        if (r.state === 'active')
          set({ ceremony: r.ceremony_id, circuit: r.circuit_name }, r.overdue_seconds);
    },
  );
  stateGauge(
    metrics,
    'ceremony_jobs',
    'Background jobs not done, by kind and state (queued, running, failed)',
    ['kind', 'state'],
    async (set) => {
      for (const r of await q.selectJobStats(db)) set({ kind: r.kind, state: r.state }, r.jobs);
    },
  );
  stateGauge(
    metrics,
    'ceremony_jobs_oldest_age_seconds',
    'Age of the oldest queued or running job, by kind',
    ['kind', 'state'],
    async (set) => {
      for (const r of await q.selectJobStats(db))
        if (r.state !== 'failed') set({ kind: r.kind, state: r.state }, r.oldest_seconds);
    },
  );
  stateGauge(
    metrics,
    'ceremony_publish_lag_entries',
    'Signed entries not yet in the published files',
    ['ceremony'],
    async (set) => {
      for (const head of await q.selectCheckpointHeads(db))
        set({ ceremony: head.ceremony_id }, head.tree_size - (sources.publishedSize(head.ceremony_id) ?? 0));
    },
  );
  stateGauge(
    metrics,
    'ceremony_publish_lag_seconds',
    'Age of the oldest signed checkpoint not yet published (0 when current)',
    ['ceremony'],
    async (set) => {
      for (const head of await q.selectCheckpointHeads(db)) {
        const published = sources.publishedSize(head.ceremony_id) ?? 0;
        const age =
          published < head.tree_size ? await q.selectCheckpointAge(db, head.ceremony_id, published + 1) : 0;
        set({ ceremony: head.ceremony_id }, age ?? 0);
      }
    },
  );
  stateGauge(
    metrics,
    'ceremony_db_pool_connections',
    'PostgreSQL pool connections by state (total, idle, waiting, max)',
    ['state'],
    async (set) => {
      const stats = db.poolStats?.();
      if (stats) for (const [state, n] of Object.entries(stats)) set({ state }, n);
    },
  );
  stateGauge(
    metrics,
    'ceremony_data_dir_bytes',
    'Data dir file system: free (available to the server) and total bytes',
    ['kind'],
    async (set) => {
      const fs = await statfs(sources.dataDir);
      set({ kind: 'free' }, fs.bavail * fs.bsize);
      set({ kind: 'total' }, fs.blocks * fs.bsize);
    },
  );
}
