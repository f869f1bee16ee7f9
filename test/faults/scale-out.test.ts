// Past one machine: three API processes and two workers on one PostgreSQL, 20 participants (the real CLI) behind a
// round-robin balancer contributing to two circuits, while processes of both roles are SIGKILLed and started again
// at seeded random moments. Nothing accepted is lost, no turn is held by two, and `ceremony verify --full` passes.
// Replay a run with FAULT_SEED=<the printed seed>.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { call, loginAs } from '../helpers/api.js';
import { affine, mulchain, setupCeremony } from '../helpers/ceremony.js';
import { findFreePort } from '../helpers/ports.js';
import { createPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import type { TestServer } from '../helpers/server.js';
import { type CoordinatorProcess, createCoordinatorProcess } from './coordinator-process.js';
import { receiptsOf, startCrowd } from './participant-runs.js';
import { type RoundRobinProxy, startRoundRobinProxy } from './round-robin-proxy.js';
import { seededRandom } from './seeded-random.js';
import { faultTimeline } from './timeline.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/ceremony.js', import.meta.url));

// 20 by default; fewer (SCALE_OUT_PARTICIPANTS) for a quicker run on a loaded machine.
const PARTICIPANTS = Number(process.env.SCALE_OUT_PARTICIPANTS ?? 20);
const CIRCUITS = [affine, mulchain];
const SEED = Number(process.env.FAULT_SEED ?? randomInt(2 ** 31));
const CEREMONY = 'scaleout';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A verification job as its holder leased it, caught just before that worker was killed. */
interface HeldJob {
  id: number;
  workerId: string;
  leaseToken: number;
  pid: number;
}

describe('three API processes and two workers on one PostgreSQL', () => {
  const timeline = faultTimeline('scale-out');
  const note = timeline.note;
  const random = seededRandom(SEED);
  const coordinatorKeys = generateKeyPair();
  let work: string;
  let postgres: PrivatePostgres;
  let proxy: RoundRobinProxy;
  const apis: CoordinatorProcess[] = [];
  const workers: CoordinatorProcess[] = [];
  // Every pid a worker ran under: the jobs' worker ids must all name one of them.
  const workerPids = new Set<number>();
  let stopped = false;
  let setupDir: string | undefined;

  const query = async <T extends object>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  /** A running verification leased by a live worker, waiting up to `waitMs` for one; undefined when none came. */
  const heldVerification = async (waitMs: number): Promise<HeldJob | undefined> => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const rows = await query<{ id: number; worker_id: string; lease_token: number }>(
        `SELECT id::int, worker_id, lease_token::int FROM jobs
         WHERE state = 'running' AND kind = 'contribution.verify' ORDER BY id`,
      ).catch(() => []);
      const live = new Set(workers.map((w) => w.pid));
      const held = rows
        .map((r) => ({
          id: r.id,
          workerId: r.worker_id,
          leaseToken: r.lease_token,
          pid: Number(r.worker_id.split(':')[1]),
        }))
        .find((h) => live.has(h.pid));
      if (held || Date.now() >= deadline) return held;
      await sleep(100);
    }
  };
  /** Whether `held` still stands as it was leased: running, by the same worker, under the same token. */
  const stillHeld = async (held: HeldJob): Promise<boolean> => {
    const rows = await query(
      `SELECT 1 FROM jobs WHERE id = $1 AND state = 'running' AND lease_token = $2 AND worker_id = $3`,
      [held.id, held.leaseToken, held.workerId],
    );
    return rows.length === 1;
  };
  const startWorker = async (w: CoordinatorProcess) => {
    await w.start();
    if (w.pid !== undefined) workerPids.add(w.pid);
  };

  beforeAll(async () => {
    console.log(`[scale-out] seed ${SEED} (replay with FAULT_SEED=${SEED})`);
    work = await mkdtemp(join(tmpdir(), 'ceremony-scaleout-'));
    postgres = await createPrivatePostgres();
    note(`private PostgreSQL on port ${postgres.port}`);
    const env = (role: string) => ({
      ROLE: role,
      // One data dir (blob store) and one transcripts dir shared by every process.
      DATA_DIR: join(work, 'data'),
      TRANSCRIPTS_DIR: join(work, 'published'),
      DATABASE_URL: postgres.url,
      COORDINATOR_PUBLIC_KEYS: toHex(coordinatorKeys.publicKey),
      CEREMONY_ORIGIN: 'scaleout.ceremony.local',
      LOG_LEVEL: 'warn',
      RATE_LIMIT: 'off',
      DISK_RESERVE_BYTES: '0',
      // Short bounds, so a killed holder's job and upload are taken over within seconds.
      JOB_LEASE_SECONDS: '6',
      UPLOAD_CLAIM_SECONDS: '6',
    });
    for (let i = 0; i < 3; i++) {
      apis.push(createCoordinatorProcess(await findFreePort(), env('api'), join(work, `api-${i}.log`)));
    }
    for (let i = 0; i < 2; i++) {
      workers.push(
        createCoordinatorProcess(await findFreePort(), env('worker'), join(work, `worker-${i}.log`)),
      );
    }
    // The first start writes the log key into the shared data dir; the others read it.
    await apis[0]?.start();
    await Promise.all([...apis.slice(1).map((a) => a.start()), ...workers.map(startWorker)]);
    proxy = await startRoundRobinProxy(apis.map((a) => Number(new URL(a.url).port)));
    note(`3 API processes and 2 workers up; balancer at ${proxy.url}`);
  });

  afterAll(async () => {
    stopped = true;
    timeline.print(SEED);
    await proxy?.close();
    await Promise.all([...apis, ...workers].map((p) => p.kill()));
    await postgres?.destroy();
    if (process.env.KEEP_FAULT_DIR === undefined) await rm(work, { recursive: true, force: true });
    else console.log(`[scale-out] logs kept in ${work}`);
    if (setupDir) await rm(setupDir, { recursive: true, force: true });
  });

  it('keeps every accepted contribution and one holder per turn while processes of both roles die', async () => {
    const server = { url: proxy.url, coordinator: coordinatorKeys } as unknown as TestServer;
    const ceremony = await setupCeremony(server, {
      id: CEREMONY,
      circuits: CIRCUITS,
      participants: PARTICIPANTS,
      timeoutSeconds: 120,
    });
    setupDir = ceremony.workDir;
    note(`ceremony open: ${PARTICIPANTS} participants, circuits ${CIRCUITS.map((c) => c.name).join(', ')}`);

    const crowd = await startCrowd(
      work,
      ceremony.participants,
      { server: proxy.url, ceremony: CEREMONY, maxAttempts: 40, retryDelayMs: 1500, stopped: () => stopped },
      note,
    );
    const { runs } = crowd;
    const allDone = crowd.done;

    // Kills alternate between the roles, a worker first. A worker kill strikes the worker holding a running
    // verification; until one such kill is confirmed it waits (bounded) for one, so at least one always lands.
    let kills = 0;
    const heldWhenKilled: HeldJob[] = [];
    while (crowd.contributing()) {
      await Promise.race([sleep(2000 + random() * 4000), allDone.catch(() => undefined)]);
      if (!crowd.contributing()) break;
      let victim: CoordinatorProcess;
      let held: HeldJob | undefined;
      if (kills % 2 === 1) {
        victim = apis[Math.floor(random() * apis.length)] as CoordinatorProcess;
      } else {
        held = await heldVerification(heldWhenKilled.length === 0 ? 60_000 : 0);
        const holder = workers.find((w) => w.pid !== undefined && w.pid === held?.pid);
        if (!holder) held = undefined;
        victim = holder ?? (workers[Math.floor(random() * workers.length)] as CoordinatorProcess);
      }
      const role = apis.includes(victim)
        ? `api-${apis.indexOf(victim)}`
        : `worker-${workers.indexOf(victim)}`;
      await victim.kill();
      kills += 1;
      // The holder is dead now: if the job still stands under its lease, the kill cut it mid-run.
      const cut = held && (await stillHeld(held));
      if (held && cut) heldWhenKilled.push(held);
      note(
        `kill #${kills}: ${role}${held ? `, holding job ${held.id} (${cut ? 'cut' : 'done just before'})` : ''}`,
      );
      await sleep(random() * 2000);
      if (workers.includes(victim)) await startWorker(victim);
      else await victim.start();
    }
    await allDone;
    note(`every participant finished; ${kills} kills`);
    for (const r of runs)
      if (r.failures.length) note(`${r.name}: ${r.attempts} run(s); failures: ${r.failures.join(' | ')}`);

    const token = await loginAs(proxy.url, coordinatorKeys);
    const finalize = await call(proxy.url, 'POST', `/v1/ceremonies/${CEREMONY}/finalize`, {
      token,
      json: { beaconHex: 'cd'.repeat(32), beaconSource: 'scale-out test fixed beacon', iterationsExp: 10 },
    });
    expect(finalize.status).toBe(202);
    const deadline = Date.now() + 180_000;
    for (;;) {
      const view = await call<{ state: string }>(proxy.url, 'GET', `/v1/ceremonies/${CEREMONY}`);
      if (view.body.state === 'finalized') break;
      if (Date.now() > deadline) throw new Error('the ceremony was not finalized within 180 s');
      await sleep(500);
    }
    note('finalized');

    expect(kills).toBeGreaterThanOrEqual(4);

    // Every receipt anyone got is in the final log, at its seq, byte for byte; one accepted entry per receipt.
    const transcript = (await call<string>(proxy.url, 'GET', `/v1/ceremonies/${CEREMONY}/transcript`)).body
      .trimEnd()
      .split('\n');
    const kept = await receiptsOf(runs);
    expect(
      kept
        .filter((k) => k.receipts.length !== CIRCUITS.length)
        .map((k) => `${k.name}: ${k.receipts.map((r) => r.circuit).join(', ') || 'no receipts'}`),
      'every participant whose runs ended well holds a receipt for each circuit',
    ).toEqual([]);
    const receipts = kept.flatMap((k) => k.receipts);
    for (const r of receipts) expect(transcript[r.seq], `${r.path} is not in the final log`).toBe(r.entry);
    const accepted = transcript
      .filter((line) => line.includes('"type":"contribution.accepted"'))
      .map((line) => JSON.parse(line) as { body: { circuit: string; index: number } });
    for (const circuit of CIRCUITS) {
      const indexes = accepted.filter((e) => e.body.circuit === circuit.name).map((e) => e.body.index);
      expect(indexes, `accepted indexes on ${circuit.name}`).toEqual(
        Array.from({ length: PARTICIPANTS }, (_, i) => i + 1),
      );
    }

    // No two turns on one circuit were ever held at once.
    const overlapping = await query(
      `SELECT a.id AS a, b.id AS b, a.circuit_name FROM turns a JOIN turns b
         ON a.ceremony_id = b.ceremony_id AND a.circuit_name = b.circuit_name AND a.id < b.id
       WHERE a.started_at IS NOT NULL AND b.started_at IS NOT NULL
         AND a.started_at < coalesce(b.ended_at, 'infinity') AND b.started_at < coalesce(a.ended_at, 'infinity')`,
    );
    expect(overlapping).toEqual([]);

    // Jobs ran in the workers only, and a job whose holder was killed was leased again.
    const jobs = await query<{ id: number; worker_id: string | null; lease_token: number; state: string }>(
      'SELECT id::int, worker_id, lease_token::int, state FROM jobs',
    );
    expect(jobs.filter((j) => j.state !== 'done')).toEqual([]);
    for (const j of jobs)
      expect(workerPids.has(Number(j.worker_id?.split(':')[1])), `${j.worker_id}`).toBe(true);
    // Each job cut by its holder's death was leased again (its token bumped) and finished by another worker.
    expect(heldWhenKilled.length, 'no worker was killed while it held a job').toBeGreaterThanOrEqual(1);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const h of heldWhenKilled) {
      const j = byId.get(h.id);
      const finisher = j?.worker_id === h.workerId ? 'the killed worker' : 'another worker';
      expect(`${j?.state} by ${finisher}`, `job ${h.id}, cut when its holder died`).toBe(
        'done by another worker',
      );
      expect(
        j?.lease_token,
        `job ${h.id}'s lease token (${h.leaseToken} when its holder died)`,
      ).toBeGreaterThan(h.leaseToken);
    }
    note(`jobs: ${jobs.length}, re-leased: ${jobs.filter((j) => j.lease_token >= 2).length}`);

    const verify = await run(
      process.execPath,
      [bin, 'verify', '--server', proxy.url, '--ceremony', CEREMONY, '--full'],
      { maxBuffer: 16 << 20 },
    ).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`ceremony verify failed:\n${err.stdout}\n${err.stderr}`);
    });
    expect(verify.stdout).not.toMatch(/^FAIL/m);
    note(`ceremony verify --full passes; wall time ${timeline.elapsedSeconds()} s`);
  }, 2_400_000);
});
