// The fault campaign: a ceremony of 10 participants (the real CLI) on PostgreSQL while the coordinator is
// SIGKILLed at seeded random moments, PostgreSQL restarts mid-verification and the data dir fills up once.
// Replay a run with FAULT_SEED=<the printed seed>.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { call, loginAs } from '../helpers/api.js';
import { affine, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { findFreePort } from '../helpers/ports.js';
import { createPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import type { TestServer } from '../helpers/server.js';
import { type CoordinatorProcess, createCoordinatorProcess } from './coordinator-process.js';
import { receiptsOf, startCrowd } from './participant-runs.js';
import { seededRandom } from './seeded-random.js';
import { mountSizeLimitedDir, type SizeLimitedDir } from './size-limited-dir.js';
import { faultTimeline } from './timeline.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/ceremony.js', import.meta.url));

const PARTICIPANTS = 10;
const KILLS = Number(process.env.FAULT_KILLS ?? 20);
const SEED = Number(process.env.FAULT_SEED ?? randomInt(2 ** 31));
const CEREMONY = 'faults';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it holds; fails after `timeoutMs` with `what`. */
async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

const readyStatus = (url: string) =>
  fetch(`${url}/readyz`, { signal: AbortSignal.timeout(20_000) }).then(
    (r) => r.status,
    () => 0,
  );

describe('fault campaign', () => {
  const timeline = faultTimeline('faults');
  const note = timeline.note;
  const random = seededRandom(SEED);
  const coordinatorKeys = generateKeyPair();
  let work: string;
  let dataDir: string;
  let limited: SizeLimitedDir | undefined;
  let postgres: PrivatePostgres;
  let coordinator: CoordinatorProcess;
  let stopped = false;
  let setupDir: string | undefined;

  beforeAll(async () => {
    console.log(`[faults] seed ${SEED} (replay with FAULT_SEED=${SEED}), ${KILLS} kills`);
    work = await mkdtemp(join(tmpdir(), 'ceremony-faults-'));
    dataDir = join(work, 'data');
    await mkdir(dataDir);
    limited = await mountSizeLimitedDir(dataDir, 48);
    // The disk-full fault is part of the campaign: without the tmpfs it fails, saying why, rather than pass short.
    if (!limited)
      throw new Error(
        `fault campaign: mounting a 48 MiB tmpfs on ${dataDir} failed; the disk-full fault needs it (run as root)`,
      );
    note('data dir on a 48 MiB tmpfs');
    postgres = await createPrivatePostgres();
    note(`private PostgreSQL on port ${postgres.port}`);
    coordinator = createCoordinatorProcess(
      await findFreePort(),
      {
        DATA_DIR: dataDir,
        TRANSCRIPTS_DIR: join(work, 'published'),
        DATABASE_URL: postgres.url,
        COORDINATOR_PUBLIC_KEYS: toHex(coordinatorKeys.publicKey),
        CEREMONY_ORIGIN: 'faults.ceremony.local',
        LOG_LEVEL: 'warn',
        RATE_LIMIT: 'off',
        // No free-space reserve on the small tmpfs: the campaign fills the disk itself, to meet ENOSPC mid-write.
        DISK_RESERVE_BYTES: '0',
      },
      join(work, 'coordinator.log'),
    );
    await coordinator.start();
  });

  afterAll(async () => {
    stopped = true;
    timeline.print(SEED);
    await coordinator?.kill();
    // The coordinator's log outlives the run, for a post-mortem.
    const kept = join(tmpdir(), `ceremony-faults-${SEED}.log`);
    await copyFile(join(work, 'coordinator.log'), kept).then(
      () => console.log(`[faults] coordinator log kept at ${kept}`),
      () => undefined,
    );
    await postgres?.destroy();
    await limited?.release();
    await rm(work, { recursive: true, force: true });
    if (setupDir) await rm(setupDir, { recursive: true, force: true });
  });

  it('finishes the ceremony with nothing lost and a transcript consistent with everything anyone saw', async () => {
    const server = { url: coordinator.url, coordinator: coordinatorKeys } as unknown as TestServer;
    const ceremony: TestCeremony = await setupCeremony(server, {
      id: CEREMONY,
      circuits: [affine],
      participants: PARTICIPANTS,
      timeoutSeconds: 120,
    });
    setupDir = ceremony.workDir;
    note(`ceremony open: ${PARTICIPANTS} participants, circuit affine (the smallest bundled one)`);

    const crowd = await startCrowd(
      work,
      ceremony.participants,
      {
        server: coordinator.url,
        ceremony: CEREMONY,
        maxAttempts: 60,
        retryDelayMs: 2000,
        stopped: () => stopped,
      },
      note,
    );
    const { runs } = crowd;
    const allDone = crowd.done;

    // Checkpoints an auditor watching the log kept; each must stay consistent with the final log.
    const seenCheckpoints = new Set<string>();
    const observe = async () => {
      const answer = await call<string>(
        coordinator.url,
        'GET',
        `/v1/ceremonies/${CEREMONY}/checkpoint`,
      ).catch(() => undefined);
      if (answer?.status === 200) seenCheckpoints.add(answer.body);
    };

    const queryCount = async (sql: string) => {
      const client = new pg.Client({ connectionString: postgres.url });
      try {
        await client.connect();
        return Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
      } catch {
        return -1;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    // The log as the database holds it, one `seq line` string per entry: what a restart must keep, byte for byte.
    const heldEntries = async (): Promise<string[]> => {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ seq: number; line: string }>(
          'SELECT seq, line FROM transcript_entries WHERE ceremony_id = $1 ORDER BY seq',
          [CEREMONY],
        );
        return rows.map((r) => `${r.seq} ${r.line}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    /** Every entry held before a kill is there after it, the same, at the same seq; more may follow. */
    const expectKept = (before: string[], after: string[], kill: string) => {
      expect(
        after.length,
        `${kill}: ${before.length} entries before, ${after.length} after`,
      ).toBeGreaterThanOrEqual(before.length);
      const changed = before.filter((line, i) => after[i] !== line).map((line) => line.split(' ', 1)[0]);
      expect(changed, `${kill}: entries held before the kill differ after it (seq listed)`).toEqual([]);
    };
    const verificationRunning = async () =>
      (await queryCount(
        `SELECT count(*) AS n FROM jobs WHERE kind = 'contribution.verify' AND state = 'running'`,
      )) > 0;
    // Turns taken, uploads filed, jobs queued, entries logged, cosignatures: anything that shows the ceremony moving.
    const progress = () =>
      queryCount(
        `SELECT (SELECT count(*) FROM turns) + (SELECT count(*) FROM contributions) + (SELECT count(*) FROM jobs)
           + (SELECT count(*) FROM transcript_entries) + (SELECT count(*) FROM cosignatures) AS n`,
      );

    let kills = 0;
    let databaseRestarted = false;
    let diskFilled = false;
    const readiness: { whileDown: number; after: number } = { whileDown: -1, after: -1 };
    // Faults strike while the participants contribute, up to FAULT_KILLS kills; then they finish undisturbed.
    while (crowd.contributing() && kills < KILLS) {
      // Each fault waits for the ceremony to move since the last one, then strikes at a random moment after.
      const mark = await progress();
      await waitUntil(
        'the ceremony moves',
        async () => !crowd.contributing() || (await progress()) > mark,
        300_000,
      );
      await Promise.race([sleep(random() * 3000), allDone.catch(() => undefined)]);
      if (!crowd.contributing()) break;
      await observe();
      // Early in the ceremony: on a quiet machine ten participants finish after only a handful of faults.
      if (!databaseRestarted && kills >= 2) {
        // Mid-verification: wait for a verification job to be running (bounded), then take the database away.
        const caught = await waitUntil('a verification runs', verificationRunning, 60_000).then(
          () => true,
          () => false,
        );
        if (caught) {
          const pid = coordinator.pid;
          await postgres.stop();
          note('PostgreSQL stopped while a verification was running');
          await waitUntil('/readyz is red', async () => (await readyStatus(coordinator.url)) === 503, 60_000);
          readiness.whileDown = await readyStatus(coordinator.url);
          note(`/readyz ${readiness.whileDown} while the database is away`);
          await sleep(2000);
          await postgres.start();
          note('PostgreSQL started again');
          await waitUntil(
            '/readyz is green',
            async () => (await readyStatus(coordinator.url)) === 200,
            30_000,
          );
          readiness.after = await readyStatus(coordinator.url);
          note(`/readyz ${readiness.after} after, coordinator pid ${coordinator.pid} (was ${pid})`);
          expect(coordinator.pid, 'the coordinator restarted while the database was away').toBe(pid);
          databaseRestarted = true;
          continue;
        }
      }
      if (!diskFilled && kills >= 3 && limited) {
        const before = coordinator.log.length;
        await limited.fill();
        note('data dir full');
        // Met either mid-write (ENOSPC) or before writing, by the free-space check refusing an upload.
        await waitUntil(
          'an upload meets the full disk',
          async () =>
            coordinator.log.includes('ENOSPC', before) ||
            coordinator.log.includes('INSUFFICIENT_STORAGE', before),
          30_000,
        ).then(
          () => note('the coordinator met the full disk'),
          () => note('no write met the full disk within 30 s'),
        );
        expect((await call(coordinator.url, 'GET', '/healthz')).status).toBe(200);
        await limited.free();
        note('data dir freed');
        diskFilled = true;
        continue;
      }
      await coordinator.kill();
      kills += 1;
      note(`kill #${kills}`);
      await coordinator.start();
    }
    await allDone;
    note(`every participant finished; ${kills} kills`);
    // On a fast run the participants finish before every kill struck: the rest strike now, at random moments of
    // the quiet log (cosignatures, publishing), and each restart must still hold every entry it held before.
    while (kills < KILLS) {
      const before = await heldEntries();
      await sleep(random() * 1000);
      await coordinator.kill();
      kills += 1;
      note(`kill #${kills} (after the contributions, ${before.length} entries held)`);
      await coordinator.start();
      expectKept(before, await heldEntries(), `kill #${kills}`);
    }
    for (const r of runs)
      note(
        `${r.name}: ${r.attempts} run(s)${r.failures.length ? `; failures: ${r.failures.join(' | ')}` : ''}`,
      );

    // Finalize, with one more kill while the beacon is applied.
    const token = await loginAs(coordinator.url, coordinatorKeys);
    const finalize = await call(coordinator.url, 'POST', `/v1/ceremonies/${CEREMONY}/finalize`, {
      token,
      json: { beaconHex: 'ab'.repeat(32), beaconSource: 'fault campaign fixed beacon', iterationsExp: 10 },
    });
    expect(finalize.status).toBe(202);
    const beforeFinalKill = await heldEntries();
    await coordinator.kill();
    note(`kill during finalization (${beforeFinalKill.length} entries held)`);
    await coordinator.start();
    expectKept(beforeFinalKill, await heldEntries(), 'the kill during finalization');
    await waitUntil(
      'the ceremony is finalized',
      async () =>
        (await call<{ state: string }>(coordinator.url, 'GET', `/v1/ceremonies/${CEREMONY}`)).body.state ===
        'finalized',
      120_000,
    );
    note('finalized');
    await observe();

    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(databaseRestarted, 'no verification was caught running to restart PostgreSQL under').toBe(true);
    expect(readiness).toEqual({ whileDown: 503, after: 200 });
    expect(diskFilled).toBe(true);

    // 0 accepted contributions lost: every receipt anyone got is in the final log, at its seq, byte for byte.
    const transcript = (
      await call<string>(coordinator.url, 'GET', `/v1/ceremonies/${CEREMONY}/transcript`)
    ).body
      .trimEnd()
      .split('\n');
    const kept = await receiptsOf(runs);
    expect(
      kept.filter((k) => k.receipts.length !== 1).map((k) => `${k.name}: ${k.receipts.length} receipt(s)`),
      'every participant whose runs ended well holds the receipt of their one contribution',
    ).toEqual([]);
    const receipts = kept.flatMap((k) => k.receipts);
    for (const r of receipts) expect(transcript[r.seq], `${r.path} is not in the final log`).toBe(r.entry);
    const accepted = transcript.filter((line) => line.includes('"type":"contribution.accepted"'));
    expect(accepted).toHaveLength(PARTICIPANTS);

    // The transcript verifies in full and is consistent with every checkpoint any participant or watcher saw.
    for (const r of receipts) seenCheckpoints.add(r.checkpoint);
    const checkpointDir = join(work, 'checkpoints');
    await mkdir(checkpointDir);
    const checkpointFlags: string[] = [];
    for (const [i, checkpoint] of [...seenCheckpoints].entries()) {
      const path = join(checkpointDir, `${i}.txt`);
      await writeFile(path, checkpoint);
      checkpointFlags.push('--checkpoint', path);
    }
    note(`verifying with ${seenCheckpoints.size} checkpoints seen along the way`);
    const verify = await run(
      process.execPath,
      [bin, 'verify', '--server', coordinator.url, '--ceremony', CEREMONY, '--full', ...checkpointFlags],
      { maxBuffer: 16 << 20 },
    ).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`ceremony verify failed:\n${err.stdout}\n${err.stderr}`);
    });
    expect(verify.stdout).toMatch(/^PASS +checkpoint\.older — all \d+ older checkpoints/m);
    note('ceremony verify --full passes');

    // No temp files or orphaned uploads remain in the data dir.
    const leftovers = [
      ...(await readdir(join(dataDir, 'tmp'))).map((n) => `tmp/${n}`),
      ...(await readdir(join(dataDir, 'uploads'))).map((n) => `uploads/${n}`),
    ];
    expect(leftovers).toEqual([]);
    note(`campaign wall time ${timeline.elapsedSeconds()} s`);
  }, 2_400_000);
});
