// The job runner's contract on a real database with an injected clock: a failing try is retried after a back-off
// that doubles, the last try settles with the kind's public message, and a catalogue refusal settles at once.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { enqueueJob, type JobKind, JobRunner, MAX_JOB_ATTEMPTS } from '../../src/ceremony/jobs.js';
import { CeremonyError } from '../../src/errors.js';
import { createTestDomain, type TestDomain } from '../helpers/domain.js';

interface JobState {
  state: string;
  attempts: number;
  run_after: Date;
  last_error: string | null;
}

describe('the job runner', () => {
  let domain: TestDomain;
  let runner: JobRunner;
  const tries = new Map<string, number>();
  const settled: { key: string; message: string }[] = [];

  // A kind whose payload says how it fails: `detail` for an unexpected error, `refuse` for a catalogue refusal.
  const probe: JobKind<{ key: string; refuse?: boolean }> = {
    failureMessage: 'the probe failed: see the server log',
    async run(_s, payload) {
      tries.set(payload.key, (tries.get(payload.key) ?? 0) + 1);
      if (payload.refuse) throw new CeremonyError('BAD_REQUEST', 'the probe input is refused');
      throw new Error('internal detail /var/secret/path');
    },
    async settle(_s, payload, failure) {
      settled.push({ key: payload.key, message: failure.publicMessage });
    },
  };
  const idle: JobKind<never> = {
    failureMessage: '',
    run: async () => undefined,
    settle: async () => undefined,
  };

  const jobOf = async (key: string) => {
    const [row] = await domain.services.db.query<JobState>(
      `SELECT state, attempts, run_after, last_error FROM jobs WHERE payload->>'key' = $1`,
      [key],
    );
    if (!row) throw new Error(`no job ${key}`);
    return row;
  };
  // Waits until the job's row matches: the runner works in the background, so the test waits on its state.
  const waitForJob = (key: string, expected: Partial<JobState>) =>
    vi.waitFor(async () => expect(await jobOf(key)).toMatchObject(expected), {
      timeout: 60_000,
      interval: 20,
    });
  const enqueue = async (payload: { key: string; refuse?: boolean }) => {
    await domain.services.db.transaction((tx) => enqueueJob(tx, 'circuit.setup', payload));
    runner.wake();
  };

  beforeAll(async () => {
    domain = await createTestDomain({ JOB_RETRY_DELAY_MS: '5000' });
    runner = new JobRunner(
      domain.services,
      {
        'circuit.setup': probe,
        'contribution.verify': idle,
        'ceremony.finalize': idle,
        'witness.cosign': idle,
      },
      { workerId: 'test-runner', leaseMs: 30_000, freeLeasesAtStart: false },
    );
    domain.setClock(0);
    await runner.start();
  });
  afterAll(async () => {
    await runner?.stop();
    await domain?.close();
  });

  it('retries after 5 s, then 10 s, and settles the last failure with the public message only', async () => {
    await enqueue({ key: 'flaky' });
    await waitForJob('flaky', { state: 'queued', attempts: 1 });
    let job = await jobOf('flaky');
    expect(job.attempts).toBe(1);
    expect(job.run_after.getTime()).toBe(domain.at(5).getTime());
    expect(job.last_error).toContain('internal detail');

    domain.setClock(5);
    runner.wake();
    await waitForJob('flaky', { state: 'queued', attempts: 2 });
    job = await jobOf('flaky');
    expect(job.run_after.getTime()).toBe(domain.at(15).getTime());

    domain.setClock(15);
    runner.wake();
    await waitForJob('flaky', { state: 'failed', attempts: 3 });
    expect(tries.get('flaky')).toBe(MAX_JOB_ATTEMPTS);
    expect(settled.filter((s) => s.key === 'flaky')).toEqual([
      { key: 'flaky', message: 'the probe failed: see the server log' },
    ]);
  });

  it('settles a catalogue refusal on the first try, with its own message', async () => {
    await enqueue({ key: 'refused', refuse: true });
    await waitForJob('refused', { state: 'failed', attempts: 1 });
    expect(tries.get('refused')).toBe(1);
    expect(settled.filter((s) => s.key === 'refused')).toEqual([
      { key: 'refused', message: 'the probe input is refused' },
    ]);
  });
});
