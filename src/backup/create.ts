// Online backup, on the coordinator: one database snapshot plus every data-dir and published file, frozen by hard
// links in a staging directory that the coordinator's CLI then downloads file by file. With BLOB_STORE=s3 the
// blobs are listed from the bucket instead and streamed from it to the CLI under the same paths (`data/blobs/…`).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import type { Services } from '../ceremony/services.js';
import { writeDatabaseSnapshot } from '../db/snapshot.js';
import { CeremonyError } from '../errors.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { type BlobSource, SHA256_NAME } from '../storage/blob-backend.js';
import { sha256File } from '../storage/file-hash.js';
import { freezeFiles, listFiles } from '../storage/file-tree.js';
import { fileSource } from '../storage/fs-blobs.js';
import {
  BACKUP_FORMAT,
  BACKUP_ID_PATTERN,
  type BackupFile,
  type BackupManifest,
  DATA_PREFIX,
  DATABASE_FILE,
  LOG_KEY_FILE,
  MANIFEST_FILE,
  PUBLISHED_PREFIX,
  parseManifest,
} from './manifest.js';

/** Under the data dir, never itself backed up; emptied at every start (a backup in flight died with the server). */
export const STAGING_DIR = 'backup-staging';
/**
 * Data-dir entries that are not state: the embedded database (copied as a snapshot instead), temp files, the
 * local copies of bucket blobs (the bucket's listing stands for them), and the log key's secret, which is kept
 * apart from backups (the manifest names its public half).
 */
const NOT_STATE = ['pgdata', 'tmp', STAGING_DIR, 'blob-cache', LOG_KEY_FILE];
const BLOBS_PREFIX = `${DATA_PREFIX}blobs/`;

function stagingOf(s: Services, backupId: string): string {
  if (!BACKUP_ID_PATTERN.test(backupId)) throw new CeremonyError('NOT_FOUND', `no backup '${backupId}'`);
  return join(s.config.dataDir, STAGING_DIR, backupId);
}

function newBackupId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Top-level data-dir entries to skip: the non-state ones, and the published files when they live right inside. */
function skippedDataEntries(s: Services): string[] {
  const inside = relative(s.config.dataDir, s.config.transcriptsDir);
  const isChild = inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) && !inside.includes(sep);
  return isChild ? [...NOT_STATE, inside] : [...NOT_STATE];
}

async function describeFile(root: string, path: string): Promise<BackupFile> {
  const full = join(root, ...path.split('/'));
  const { size } = await stat(full);
  const name = basename(path);
  // Content-addressed blobs are named by their SHA-256; the CLI checks the bytes it receives against it.
  const sha256 = path.startsWith(BLOBS_PREFIX) && SHA256_NAME.test(name) ? name : await sha256File(full);
  return { path, size, sha256 };
}

/**
 * Takes a backup while serving. Files are frozen before and after the database snapshot, so every file the
 * snapshot refers to is kept even if it was written during the snapshot or removed right after it.
 */
export async function createBackup(s: Services, now = new Date()): Promise<BackupManifest> {
  const backupId = newBackupId(now);
  const staging = stagingOf(s, backupId);
  await mkdir(staging, { recursive: true });
  try {
    const skip = skippedDataEntries(s);
    const freeze = async () => {
      await freezeFiles(s.config.dataDir, join(staging, 'data'), await listFiles(s.config.dataDir, skip));
      await freezeFiles(
        s.config.transcriptsDir,
        join(staging, 'published'),
        await listFiles(s.config.transcriptsDir),
      );
    };
    await freeze();
    const snapshot = await writeDatabaseSnapshot(s.db, join(staging, DATABASE_FILE));
    await freeze();
    const paths = [
      ...(await listFiles(join(staging, 'data'))).map((p) => `${DATA_PREFIX}${p}`),
      ...(await listFiles(join(staging, 'published'))).map((p) => `${PUBLISHED_PREFIX}${p}`),
    ];
    const files: BackupFile[] = [{ path: DATABASE_FILE, size: snapshot.size, sha256: snapshot.sha256 }];
    for (const path of paths) files.push(await describeFile(staging, path));
    // Bucket blobs are never removed, and each is put before a row names it: a listing after the snapshot has all.
    if (s.store.backend.kind === 's3') {
      for await (const blob of s.store.backend.list())
        files.push({ path: blobPath(blob.sha256), size: blob.size, sha256: blob.sha256 });
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      backupId,
      createdAt: now.toISOString(),
      databaseKind: s.db.kind,
      logKey: {
        source: s.config.logKey === undefined ? 'data-dir' : 'configured',
        verifierKey: s.signer.verifierKey,
      },
      files,
    };
    await writeFileAtomic(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
    s.log.info({ backup: backupId, files: files.length, rows: snapshot.rows }, 'backup staged');
    return manifest;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

function blobPath(sha256: string): string {
  return `${BLOBS_PREFIX}${sha256.slice(0, 2)}/${sha256}`;
}

/** A file of a staged backup: where to read it (staged, or in the bucket) and its manifest entry. */
export async function findBackupFile(
  s: Services,
  backupId: string,
  path: string,
): Promise<{ source: BlobSource | undefined; file: BackupFile }> {
  const staging = stagingOf(s, backupId);
  const text = await readFile(join(staging, MANIFEST_FILE), 'utf8').catch(() => {
    throw new CeremonyError('NOT_FOUND', `no backup '${backupId}' is staged`);
  });
  const file = parseManifest(text).files.find((f) => f.path === path);
  if (file === undefined) throw new CeremonyError('NOT_FOUND', `backup '${backupId}' has no file '${path}'`);
  const staged = await fileSource(join(staging, ...file.path.split('/')));
  if (staged !== undefined || s.store.backend.kind !== 's3' || !file.path.startsWith(BLOBS_PREFIX))
    return { source: staged, file };
  return { source: await s.store.source(file.sha256), file };
}

/** Drops a staged backup once the CLI has it (the links only cost directory entries, but keep no stale ones). */
export async function removeBackup(s: Services, backupId: string): Promise<void> {
  await rm(stagingOf(s, backupId), { recursive: true, force: true });
}

export async function clearBackupStaging(dataDir: string): Promise<void> {
  await rm(join(dataDir, STAGING_DIR), { recursive: true, force: true });
}
