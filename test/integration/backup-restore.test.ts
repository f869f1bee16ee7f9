// Backup and restore with real server processes: back up mid-ceremony, go on, lose everything, restore, restart and
// finish the ceremony; the auditor is told of the rollback by the checkpoint and receipt participants kept.
// A damaged or incomplete backup, or a used target, is refused before anything is written.
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { runVerify } from '../../src/cli/commands/verify.js';
import { main } from '../../src/cli/main.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { call } from '../helpers/api.js';
import { contributeAs, mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { type ChildServer, startChildServer } from '../helpers/child-server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import type { TestServer } from '../helpers/server.js';

const BEACON = {
  beaconHex: 'a3c1e1b5f0d2c4e6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4',
  beaconSource: 'test beacon: a fixed value standing in for a future drand round',
  iterationsExp: 10,
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

async function run(argv: string[]): Promise<Run> {
  const out = createMemoryOutput(true);
  const code = await main([...argv, '--json'], out);
  const stdout = out.stdout();
  return {
    code,
    stdout,
    stderr: out.stderr(),
    json: stdout ? (JSON.parse(stdout) as Record<string, unknown>) : {},
  };
}

/** Every file under `dir`, relative. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('backup mid-ceremony, loss of everything, restore', () => {
  let work: string;
  let dataDir: string;
  let database: TestDatabase;
  let restoredDatabase: TestDatabase;
  let child: ChildServer | undefined;
  const coordinator = generateKeyPair();

  const envFor = (db: TestDatabase): Record<string, string> => ({
    DATA_DIR: dataDir,
    TRANSCRIPTS_DIR: join(work, 'published'),
    COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
    CEREMONY_ORIGIN: 'backup.ceremony.local',
    ...(db.url ? { DATABASE_URL: db.url } : {}),
  });
  const asServer = (c: ChildServer) => ({ url: c.url, coordinator }) as unknown as TestServer;
  const restoreTarget = (dir: string, db: TestDatabase) => [
    '--data-dir',
    dir,
    ...(db.url ? ['--database-url', db.url] : []),
  ];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'ceremony-backup-'));
    dataDir = join(work, 'data');
    database = await createTestDatabase();
    restoredDatabase = await createTestDatabase();
    child = await startChildServer(envFor(database));
  }, 600_000);
  afterAll(async () => {
    await child?.kill();
    await database?.drop();
    await restoredDatabase?.drop();
    await rm(work, { recursive: true, force: true });
  }, 600_000);

  it('restores, continues to the end, and verify names the rollback', async () => {
    if (!child) throw new Error('no server');
    const ceremony: TestCeremony = await setupCeremony(asServer(child), {
      id: 'backed-up',
      circuits: [mulchain],
      participants: 2,
    });
    const [alice, bob] = ceremony.participants;
    if (!alice || !bob) throw new Error('participants missing');
    await contributeAs(asServer(child), ceremony, alice);
    // A ceremony whose round is closed, not finalized: it may still take entries, so its restore is declared too.
    const closedOne = await setupCeremony(asServer(child), {
      id: 'closed-one',
      circuits: [mulchain],
      participants: 1,
    });
    await admin.closeCeremony(closedOne.adminOptions);
    const closedSize = (await call<string>(child.url, 'GET', '/v1/ceremonies/closed-one/transcript')).body
      .trim()
      .split('\n').length;

    const backupDir = join(work, 'backup');
    const backup = await run([
      'admin',
      'backup',
      '--server',
      child.url,
      '--key',
      ceremony.coordinatorKeyFile,
      '--out',
      backupDir,
    ]);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8')) as {
      files: { path: string }[];
      logKey: unknown;
    };
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toContain('database.ndjson');
    // The log key's secret is not in the backup, only its public half: the operator keeps the key file apart.
    expect(paths).not.toContain('data/log-key');
    const servedKey = (await call<string>(child.url, 'GET', '/v1/log-key')).body.trim();
    expect(manifest.logKey).toEqual({ source: 'data-dir', verifierKey: servedKey });
    const keptKey = join(work, 'kept-log-key');
    await cp(join(dataDir, 'log-key'), keptKey);
    expect(paths.some((p) => p.startsWith('data/blobs/'))).toBe(true);
    expect(paths).toContain('published/backed-up/transcript.jsonl');
    // Every ceremony's rows are in there: readable by the operator alone, whatever the umask.
    const modes = new Set<string>([`. ${((await stat(backupDir)).mode & 0o777).toString(8)}`]);
    for (const entry of await readdir(backupDir, { recursive: true, withFileTypes: true })) {
      const info = await stat(join(entry.parentPath, entry.name));
      modes.add(`${entry.isDirectory() ? 'dir' : 'file'} ${(info.mode & 0o777).toString(8)}`);
    }
    expect([...modes].sort()).toEqual(['. 700', 'dir 700', 'file 600']);
    // The staging copy on the server is gone once the CLI has everything.
    expect(await readdir(join(dataDir, 'backup-staging')).catch(() => [])).toEqual([]);
    const sizeAtBackup = (await call<string>(child.url, 'GET', '/v1/ceremonies/backed-up/transcript')).body
      .trim()
      .split('\n').length;

    // The ceremony goes on after the backup: Bob's contribution and the checkpoint he saw will be lost.
    const lostContribution = await contributeAs(asServer(child), ceremony, bob);
    // Kept aside: Bob's receipt file of index 2 is replaced when he contributes again after the restore.
    const lostReceipt = join(work, 'lost-receipt.json');
    await cp(lostContribution.contributions[0]?.receipt ?? '', lostReceipt);
    const seenCheckpoint = join(work, 'seen-checkpoint');
    await writeFile(
      seenCheckpoint,
      (await call<string>(child.url, 'GET', '/v1/ceremonies/backed-up/checkpoint')).body,
    );

    // A damaged backup (one byte changed) and an incomplete one (one file missing) are refused, and nothing is written.
    const damaged = join(work, 'damaged');
    await cp(backupDir, damaged, { recursive: true });
    const blob = join(damaged, manifest.files.find((f) => f.path.startsWith('data/blobs/'))?.path ?? '');
    const bytes = await readFile(blob);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0x01;
    await writeFile(blob, bytes);
    const incomplete = join(work, 'incomplete');
    await cp(backupDir, incomplete, { recursive: true });
    await rm(join(incomplete, 'data', 'log-origin'));
    const spare = await createTestDatabase();
    try {
      for (const [bad, problem] of [
        [damaged, 'does not match its SHA-256'],
        [incomplete, 'data/log-origin is missing'],
      ] as const) {
        const target = join(work, `target-${problem.length}`);
        const refused = await run(['restore', '--from', bad, ...restoreTarget(target, spare)]);
        expect(refused.code).toBe(1);
        expect(refused.json.error).toMatchObject({ code: 'BACKUP_INVALID' });
        expect(refused.stderr).toContain(problem);
        expect(await stat(target).catch(() => undefined)).toBeUndefined();
      }
    } finally {
      await spare.drop();
    }

    // Everything is lost: the server, its data dir, its database.
    await child.kill();
    child = undefined;
    await rm(dataDir, { recursive: true, force: true });
    await rm(join(work, 'published'), { recursive: true, force: true });
    await database.drop();

    // A used target is refused unless told.
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'something'), 'in the way');
    const keyless = await run(['restore', '--from', backupDir, ...restoreTarget(dataDir, restoredDatabase)]);
    expect(keyless.stderr).toMatch(/the backup holds no log key .*--log-key FILE\|URI/);
    const restoreWithKey = () =>
      run([
        'restore',
        '--from',
        backupDir,
        '--log-key',
        keptKey,
        ...restoreTarget(dataDir, restoredDatabase),
      ]);
    const used = await restoreWithKey();
    expect(used.json.error).toMatchObject({ code: 'RESTORE_TARGET_NOT_EMPTY' });
    expect(await filesUnder(dataDir)).toEqual(['something']);
    await rm(join(dataDir, 'something'));

    const restored = await restoreWithKey();
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    // The server kept its key in the data dir: the restored data dir has it again (0600).
    expect(restored.json.logKey).toEqual({ file: join(dataDir, 'log-key') });
    expect((await stat(join(dataDir, 'log-key'))).mode & 0o777).toBe(0o600);
    expect(restored.json.ceremonies).toEqual([
      { ceremony: 'backed-up', restoredSize: sizeAtBackup, noticeSeq: sizeAtBackup },
      { ceremony: 'closed-one', restoredSize: closedSize, noticeSeq: closedSize },
    ]);

    // Restart on the restored state and finish: Bob contributes again, then the beacon.
    child = await startChildServer(envFor(restoredDatabase));
    const closedLog = (await call<string>(child.url, 'GET', '/v1/ceremonies/closed-one/transcript')).body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; type: string; body: Record<string, unknown> });
    expect(closedLog.at(-2)?.type).toBe('ceremony.closed');
    expect(closedLog.at(-1)).toMatchObject({
      seq: closedSize,
      type: 'log.restored',
      body: { backupId: restored.json.backupId, restoredSize: closedSize },
    });
    const again = await contributeAs(asServer(child), ceremony, bob);
    expect(again.contributions[0]?.index).toBe(2);
    await admin.finalizeCeremony({ ...ceremony.adminOptions, server: child.url, ...BEACON });

    const server = child.url;
    const verify = async (extra: { checkpoint?: string; receipt?: string } = {}) => {
      const output = createMemoryOutput(true);
      const code = await runVerify({
        server,
        ceremony: 'backed-up',
        full: false,
        json: true,
        output,
        ...extra,
      });
      return { code, json: JSON.parse(output.stdout()) as Record<string, unknown> };
    };
    const clean = await verify();
    expect(clean.code).toBe(0);
    const checks = clean.json.checks as { name: string; status: string; detail: string }[];
    expect(checks.find((c) => c.name === 'log.restores')?.detail).toContain('declared 1 restore(s)');
    const contributors = (clean.json.contributions as { name: string }[]).map((c) => c.name);
    expect(contributors).toEqual(['alice', 'bob']);

    const withCheckpoint = await verify({ checkpoint: seenCheckpoint });
    expect(withCheckpoint.code).toBe(1);
    const older = (withCheckpoint.json.checks as { name: string; status: string; detail: string }[]).find(
      (c) => c.name === 'checkpoint.older',
    );
    expect(older?.status).toBe('fail');
    expect(older?.detail).toContain('the log was rolled back');
    expect(older?.detail).toContain(`entry ${sizeAtBackup} (log.restored`);

    const withReceipt = await verify({ receipt: lostReceipt });
    const receipt = (withReceipt.json.checks as { name: string; detail: string }[]).find(
      (c) => c.name === 'receipt',
    );
    expect(receipt?.detail).toContain('is lost: the log was rolled back');
    // Three contributions, a beacon and two server starts: longer than the default on a shared machine.
  }, 900_000);
});
