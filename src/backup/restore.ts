// Offline restore, before `serve`: check the whole backup, then fill an empty data dir and database from it and
// append a signed `log.restored` entry to every ceremony still running, so auditors see the rollback. With an
// object store configured (BLOB_STORE=s3) the backup's blobs are put into the bucket instead of the data dir.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStoreConfig } from '../config.js';
import { type KeyPair, writeKeyFile } from '../crypto/ed25519.js';
import { type Database, openDatabase } from '../db/database.js';
import { listMigrationVersions, migrateDatabase } from '../db/migrate.js';
import { selectCeremonyStates } from '../db/queries/backup.js';
import * as q from '../db/queries/transcript.js';
import {
  dropSchemaObjects,
  listSchemaObjects,
  loadDatabaseSnapshot,
  readSnapshotHeader,
} from '../db/snapshot.js';
import { CeremonyError } from '../errors.js';
import { openSigner } from '../keys/open-signer.js';
import type { Signer } from '../keys/signer.js';
import type { BlobBackend } from '../storage/blob-backend.js';
import { copyFileDurably, isEmptyDir } from '../storage/file-tree.js';
import { openBlobBackend } from '../storage/open-blob-backend.js';
import { appendEntry } from '../transcript/log.js';
import { loadLogSigner } from '../transcript/log-key.js';
import { encodeVerifierKey, verifyNote } from '../transcript/note.js';
import {
  type BackupManifest,
  backupLogKey,
  backupLogKeySource,
  checkBackupFiles,
  DATA_PREFIX,
  DATABASE_FILE,
  LOG_KEY_FILE,
  MANIFEST_FILE,
  PUBLISHED_PREFIX,
  parseManifest,
} from './manifest.js';

export interface RestoreOptions {
  from: string;
  dataDir: string;
  /** PostgreSQL target; the embedded database under dataDir/pgdata when absent. */
  databaseUrl?: string;
  /** Where to put the published files; left out, `serve` rebuilds them from the database. */
  transcriptsDir?: string;
  /**
   * The log key (a key file or a PKCS#11 URI), kept apart from the backup: needed unless the backup is an old one
   * that holds the data dir's key file.
   */
  logKey?: string;
  /** Where blobs go: the data dir when absent or `fs`; with `s3`, the bucket (objects already there are kept). */
  blobStore?: BlobStoreConfig;
  /** Empty a non-empty target first. */
  force?: boolean;
  now?: Date;
}

export interface RestoreResult {
  backupId: string;
  createdAt: string;
  files: number;
  rows: number;
  /** Where the restored server finds its log key: the data dir's key file, or the key `serve` must be given. */
  logKey: { file: string } | { serveWith: string };
  /** Per ceremony: the transcript size restored, and the seq of its `log.restored` entry (none once finalized). */
  ceremonies: { ceremony: string; restoredSize: number; noticeSeq: number | null }[];
}

async function requireEmptyTargets(options: RestoreOptions, db: Database | undefined): Promise<void> {
  const used: string[] = [];
  if (!(await isEmptyDir(options.dataDir))) used.push(`data dir ${options.dataDir}`);
  if (options.transcriptsDir !== undefined && !(await isEmptyDir(options.transcriptsDir)))
    used.push(`transcripts dir ${options.transcriptsDir}`);
  if (db !== undefined && (await listSchemaObjects(db)).length > 0) used.push('database (it has tables)');
  if (used.length === 0) return;
  if (!options.force)
    throw new CeremonyError(
      'RESTORE_TARGET_NOT_EMPTY',
      `restore writes into empty targets only; not empty: ${used.join(', ')} (--force empties them first)`,
    );
  await rm(options.dataDir, { recursive: true, force: true });
  if (options.transcriptsDir !== undefined)
    await rm(options.transcriptsDir, { recursive: true, force: true });
  if (db !== undefined) await db.transaction((tx) => dropSchemaObjects(tx));
}

/** Everything a restore needs is checked here, before anything is written. */
async function checkBackup(options: RestoreOptions): Promise<BackupManifest> {
  const text = await readFile(join(options.from, MANIFEST_FILE), 'utf8').catch(() => {
    throw new CeremonyError('BACKUP_INVALID', `${options.from} holds no ${MANIFEST_FILE}: not a backup`);
  });
  const manifest = parseManifest(text);
  await checkBackupFiles(options.from, manifest);
  const header = await readSnapshotHeader(join(options.from, DATABASE_FILE)).catch((err: Error) => {
    throw new CeremonyError('BACKUP_INVALID', err.message);
  });
  const known = await listMigrationVersions();
  const unknown = header.migrations.filter((v) => !known.includes(v));
  if (unknown.length > 0)
    throw new CeremonyError(
      'BACKUP_INVALID',
      `the backup's database has migration(s) ${unknown.join(', ')} this version lacks: restore with the version that made it`,
    );
  if (!manifest.files.some((f) => f.path === `${DATA_PREFIX}log-origin`))
    throw new CeremonyError('BACKUP_INVALID', `the backup lists no ${DATA_PREFIX}log-origin`);
  const held = manifest.files.some((f) => f.path === `${DATA_PREFIX}${LOG_KEY_FILE}`);
  if (!held && options.logKey === undefined)
    throw new CeremonyError(
      'BACKUP_INVALID',
      `the backup holds no log key${backupLogKey(manifest) ? ` (its key is ${backupLogKey(manifest)})` : ''}: give it with --log-key FILE|URI (or LOG_KEY)`,
    );
  return manifest;
}

/** Opens the log key given apart from the backup and checks it is the backup's, before anything is written. */
async function openGivenLogKey(
  options: RestoreOptions,
  manifest: BackupManifest,
): Promise<Signer | undefined> {
  if (options.logKey === undefined) return undefined;
  const key = await openSigner(options.logKey);
  const origin = (await readFile(join(options.from, DATA_PREFIX, 'log-origin'), 'utf8')).trim();
  const expected = backupLogKey(manifest);
  if (expected !== undefined && encodeVerifierKey(origin, key.publicKey) !== expected) {
    key.close?.();
    throw new CeremonyError(
      'BACKUP_INVALID',
      `the log key given is not the backup's (${expected}): restore with the key that signed its checkpoints`,
    );
  }
  return key;
}

/** A server that kept its key in the data dir finds a key file there again; a key in a token stays there. */
async function placeLogKey(
  options: RestoreOptions,
  manifest: BackupManifest,
  key: Signer | undefined,
): Promise<RestoreResult['logKey']> {
  const inDataDir = join(options.dataDir, LOG_KEY_FILE);
  if (key === undefined) return { file: inDataDir };
  if (backupLogKeySource(manifest) === 'data-dir' && 'secretKey' in key) {
    await rm(inDataDir, { force: true });
    await writeKeyFile(inDataDir, key as KeyPair);
    return { file: inDataDir };
  }
  return { serveWith: options.logKey as string };
}

async function copyFiles(
  options: RestoreOptions,
  manifest: BackupManifest,
  bucket: BlobBackend | undefined,
): Promise<number> {
  let copied = 0;
  for (const file of manifest.files) {
    const source = join(options.from, ...file.path.split('/'));
    if (bucket !== undefined && file.path.startsWith(`${DATA_PREFIX}blobs/`)) {
      // The backend takes the file over (it moves it into its cache): hand it a copy, never the backup's own.
      const temp = join(options.dataDir, 'tmp', `${file.sha256}.restore`);
      await copyFileDurably(source, temp);
      await bucket.putFile(temp, file.sha256);
      copied += 1;
      continue;
    }
    let target: string | undefined;
    if (file.path.startsWith(DATA_PREFIX))
      target = join(options.dataDir, ...file.path.slice(DATA_PREFIX.length).split('/'));
    else if (file.path.startsWith(PUBLISHED_PREFIX) && options.transcriptsDir !== undefined)
      target = join(options.transcriptsDir, ...file.path.slice(PUBLISHED_PREFIX.length).split('/'));
    if (target === undefined) continue;
    await copyFileDurably(source, target, file.path === `${DATA_PREFIX}log-key` ? 0o600 : undefined);
    copied += 1;
  }
  return copied;
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const manifest = await checkBackup(options);
  const key = await openGivenLogKey(options, manifest);
  try {
    return await restoreChecked(options, manifest, key);
  } finally {
    key?.close?.();
  }
}

async function restoreChecked(
  options: RestoreOptions,
  manifest: BackupManifest,
  key: Signer | undefined,
): Promise<RestoreResult> {
  const db = options.databaseUrl ? await openDatabase({ url: options.databaseUrl }) : undefined;
  try {
    await requireEmptyTargets(options, db);
    let bucket: BlobBackend | undefined;
    if (options.blobStore?.kind === 's3') {
      bucket = await openBlobBackend(options.blobStore, options.dataDir, () => {});
      await bucket.init();
    }
    const files = await copyFiles(options, manifest, bucket);
    const logKey = await placeLogKey(options, manifest, key);
    const target = db ?? (await openDatabase({ dataDir: join(options.dataDir, 'pgdata') }));
    try {
      const header = await readSnapshotHeader(join(options.from, DATABASE_FILE));
      await migrateDatabase(target, undefined, header.migrations);
      const signer = await loadLogSigner({
        origin: '',
        originConfigured: false,
        dataDir: options.dataDir,
        key,
      });
      const now = options.now ?? new Date();
      return await target.transaction(async (tx) => {
        const { rows } = await loadDatabaseSnapshot(tx, join(options.from, DATABASE_FILE));
        const ceremonies: RestoreResult['ceremonies'] = [];
        for (const { id, state } of await selectCeremonyStates(tx)) {
          const head = await q.selectLatestCheckpoint(tx, id);
          if (head !== undefined) {
            try {
              verifyNote(head.note, signer.verifierKey);
            } catch {
              throw new CeremonyError(
                'BACKUP_INVALID',
                `ceremony ${id}'s checkpoints are not signed by the log key given: restore with the key that signed them`,
              );
            }
          }
          const restoredSize = head?.tree_size ?? 0;
          // A finalized log takes no more entries, so nothing after the backup can be missing from it.
          if (state === 'finalized') {
            ceremonies.push({ ceremony: id, restoredSize, noticeSeq: null });
            continue;
          }
          const notice = await appendEntry(
            tx,
            signer,
            id,
            'log.restored',
            { backupId: manifest.backupId, backupCreatedAt: manifest.createdAt, restoredSize },
            now,
          );
          ceremonies.push({ ceremony: id, restoredSize, noticeSeq: notice.seq });
        }
        return {
          backupId: manifest.backupId,
          createdAt: manifest.createdAt,
          files,
          rows,
          logKey,
          ceremonies,
        };
      });
    } finally {
      if (target !== db) await target.close();
    }
  } finally {
    await db?.close();
  }
}
