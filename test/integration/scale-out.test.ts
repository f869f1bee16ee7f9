// Several coordinator processes on one database, in one test process: job leases and their fencing, the upload claim
// per turn (both on PGlite and PostgreSQL, with the test's clock), and on PostgreSQL the change events that cross
// processes and the scheduler lock that moves when its holder stops.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BuiltApp, buildApp } from '../../src/app.js';
import { claimUpload } from '../../src/ceremony/upload-claims.js';
import { loadConfig } from '../../src/config.js';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import {
  claimDueJob,
  insertJob,
  markJobDone,
  releaseJobLease,
  renewJobLease,
} from '../../src/db/queries/jobs.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTestDomain, type TestDomain } from '../helpers/domain.js';

describe('job leases and upload claims shared by several processes', () => {
  let domain: TestDomain;
  beforeAll(async () => {
    domain = await createTestDomain({ UPLOAD_CLAIM_SECONDS: '30' });
  });
  afterAll(async () => {
    await domain?.close();
  });

  it('gives a job to a second worker only after the first one’s lease expired, and fences the first', async () => {
    const db = domain.services.db;
    await db.transaction((tx) => insertJob(tx, 'circuit.setup', { key: 'lease' }));
    const first = await claimDueJob(db, 'worker-a', domain.at(0), domain.at(30));
    expect(first?.lease_token).toBe(1);
    if (!first) throw new Error('unreachable');
    // Held and renewed: the second worker finds nothing, even after the first deadline passed.
    expect(await claimDueJob(db, 'worker-b', domain.at(29), domain.at(59))).toBeUndefined();
    expect(await renewJobLease(db, { id: first.id, token: 1 }, domain.at(60))).toBe(true);
    expect(await claimDueJob(db, 'worker-b', domain.at(45), domain.at(75))).toBeUndefined();
    // The first worker goes silent: past its lease, the second takes the job, as a new try under a new token.
    const second = await claimDueJob(db, 'worker-b', domain.at(60), domain.at(90));
    expect(second).toMatchObject({ id: first.id, attempts: 2, lease_token: 2 });
    // The first holder comes back: none of its writes land.
    expect(await renewJobLease(db, { id: first.id, token: 1 }, domain.at(100))).toBe(false);
    expect(await markJobDone(db, { id: first.id, token: 1 }, domain.at(61))).toBe(false);
    expect(await releaseJobLease(db, { id: first.id, token: 1 }, domain.at(61))).toBe(false);
    const [row] = await db.query<{ state: string; worker_id: string }>(
      'SELECT state, worker_id FROM jobs WHERE id = $1',
      [first.id],
    );
    expect(row).toEqual({ state: 'running', worker_id: 'worker-b' });
    expect(await markJobDone(db, { id: first.id, token: 2 }, domain.at(62))).toBe(true);
  });

  it('hands a stopped worker’s job back at once, without counting the interrupted try', async () => {
    const db = domain.services.db;
    await db.transaction((tx) => insertJob(tx, 'circuit.setup', { key: 'release' }));
    const held = await claimDueJob(db, 'worker-a', domain.at(100), domain.at(130));
    if (!held) throw new Error('no job claimed');
    expect(await releaseJobLease(db, { id: held.id, token: held.lease_token }, domain.at(101))).toBe(true);
    const next = await claimDueJob(db, 'worker-b', domain.at(101), domain.at(131));
    expect(next).toMatchObject({ id: held.id, attempts: 1 });
  });

  it('admits one upload per turn until the holder releases it or its claim expires', async () => {
    const s = domain.services;
    await s.db.exec(`
      INSERT INTO ceremonies (id, title, state, timeout_seconds, open_registration, coordinator_key)
        VALUES ('claims', 'claims', 'open', 600, false, '${domain.coordinatorKey}');
      INSERT INTO circuits (ceremony_id, name, position, status, r1cs_sha256, ptau_sha256)
        VALUES ('claims', 'main', 0, 'ready', '${'a'.repeat(64)}', '${'b'.repeat(64)}');
      INSERT INTO participants (ceremony_id, participant_id, name, public_key)
        VALUES ('claims', 'p1', 'alice', '${'c'.repeat(64)}');`);
    const [turn] = await s.db.query<{ id: number }>(
      `INSERT INTO turns (ceremony_id, circuit_name, participant_id, queue_pos, state)
       VALUES ('claims', 'main', 'p1', 1, 'active') RETURNING id`,
    );
    if (!turn) throw new Error('no turn');
    domain.setClock(0);
    const first = await claimUpload(s, turn.id, 'busy');
    await expect(claimUpload(s, turn.id, 'busy')).rejects.toMatchObject({ code: 'UPLOAD_IN_PROGRESS' });
    await first.release();
    const second = await claimUpload(s, turn.id, 'busy');
    // The holder's process dies (no release, no renewal): the claim expires after UPLOAD_CLAIM_SECONDS.
    domain.setClock(29);
    await expect(claimUpload(s, turn.id, 'busy')).rejects.toMatchObject({ code: 'UPLOAD_IN_PROGRESS' });
    domain.setClock(30);
    const third = await claimUpload(s, turn.id, 'busy');
    // The late release of the dead holder's claim does not free the new holder's.
    await second.release();
    await expect(claimUpload(s, turn.id, 'busy')).rejects.toMatchObject({ code: 'UPLOAD_IN_PROGRESS' });
    await third.release();
  });
});

const postgresUrl = process.env.DATABASE_URL;
if (!postgresUrl)
  console.warn('scale-out events and scheduler lock: skipped, they need PostgreSQL (DATABASE_URL)');

describe.skipIf(!postgresUrl)('two processes on one PostgreSQL', () => {
  let database: TestDatabase;
  let dataDir: string;
  const apps: BuiltApp[] = [];
  const closed = new Set<BuiltApp>();

  const start = async (role: string) => {
    const config = loadConfig(
      {},
      {
        ROLE: role,
        PORT: '0',
        DATA_DIR: dataDir,
        TRANSCRIPTS_DIR: join(dataDir, 'published'),
        DATABASE_URL: database.url ?? '',
        COORDINATOR_PUBLIC_KEYS: toHex(generateKeyPair().publicKey),
        CEREMONY_ORIGIN: 'scale-out.test.local',
        LOG_LEVEL: 'silent',
      },
    );
    const built = await buildApp(config);
    await built.app.ready();
    apps.push(built);
    return built;
  };
  // Who holds the scheduler lock, by the application_name of the holding connection.
  const schedulerHolders = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()`,
      );
      return rows.map((r) => r.name);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'ceremony-scale-out-'));
  });
  afterAll(async () => {
    for (const app of apps) if (!closed.has(app)) await app.app.close();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('delivers a change committed in one process to the events listeners of another', async () => {
    const api = await start('api');
    const worker = await start('worker');
    const seen: string[] = [];
    api.services.changes.subscribeCeremony('elsewhere', () => seen.push('elsewhere'));
    worker.services.events.ceremonyChanged('elsewhere');
    await vi.waitFor(() => expect(seen).toEqual(['elsewhere']), { timeout: 10_000, interval: 50 });
    // A worker answers health and metrics only: requests go to the API processes.
    expect((await worker.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await worker.app.inject({ method: 'GET', url: '/v1/ceremonies' })).statusCode).toBe(404);
    expect((await api.app.inject({ method: 'GET', url: '/v1/ceremonies' })).statusCode).toBe(200);
  });

  it('runs the scheduler in one process and moves it to another when the holder stops', async () => {
    let holders: string[] = [];
    await vi.waitFor(
      async () => {
        holders = await schedulerHolders();
        expect(holders).toHaveLength(1);
      },
      { timeout: 10_000, interval: 100 },
    );
    const holder = apps.find((a) => holders[0] === `scheduler ${a.instanceId}`);
    const other = apps.find((a) => a !== holder);
    if (!holder || !other) throw new Error(`no process holds the scheduler: ${holders.join(', ')}`);
    await holder.app.close();
    closed.add(holder);
    // The survivor tries every 2 s: within seconds it holds the lock, alone.
    await vi.waitFor(
      async () => expect(await schedulerHolders()).toEqual([`scheduler ${other.instanceId}`]),
      {
        timeout: 10_000,
        interval: 100,
      },
    );
  });
});

describe('roles', () => {
  it('refuses a role other than all without PostgreSQL', () => {
    expect(() => loadConfig({ role: 'worker' }, {})).toThrow(/role 'worker' needs PostgreSQL/);
    expect(() => loadConfig({ role: 'boss' }, {})).toThrow(/role must be one of all, api, worker/);
  });
});
