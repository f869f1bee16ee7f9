// The backup manifest: every file of a backup with its size and SHA-256, checked whole before a restore writes
// anything. Glossary: a *backup* is one directory (manifest.json + files); its *database snapshot* is
// `database.ndjson`; `data/…` mirrors the coordinator's data dir, `published/…` its published transcript files.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { CeremonyError } from '../errors.js';
import { sha256File } from '../storage/file-hash.js';
import { isSafeRelativePath } from '../storage/file-tree.js';

export const BACKUP_FORMAT = 'ceremony-backup/v1';
export const MANIFEST_FILE = 'manifest.json';
export const DATABASE_FILE = 'database.ndjson';
export const DATA_PREFIX = 'data/';
export const PUBLISHED_PREFIX = 'published/';

export const BackupFileSchema = Type.Object({
  path: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
});

export const BackupManifestSchema = Type.Object({
  format: Type.Literal(BACKUP_FORMAT),
  backupId: Type.String(),
  createdAt: Type.String(),
  databaseKind: Type.Union([Type.Literal('postgres'), Type.Literal('pglite')]),
  /** Where the checkpoint signing key lived: a file in the data dir (backed up) or the server's LOG_KEY. */
  logKey: Type.Union([Type.Literal('data-dir'), Type.Literal('configured')]),
  files: Type.Array(BackupFileSchema),
});

export type BackupFile = Static<typeof BackupFileSchema>;
export type BackupManifest = Static<typeof BackupManifestSchema>;

export const BACKUP_ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
const sha256Pattern = /^[0-9a-f]{64}$/;

function invalid(message: string): CeremonyError {
  return new CeremonyError('BACKUP_INVALID', message);
}

/** Parses manifest text, refusing any field a restore would trust blindly. */
export function parseManifest(text: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(`${MANIFEST_FILE} is not JSON`);
  }
  const m = value as Partial<BackupManifest>;
  if (m?.format !== BACKUP_FORMAT) throw invalid(`${MANIFEST_FILE} is not a ${BACKUP_FORMAT} manifest`);
  if (typeof m.backupId !== 'string' || !BACKUP_ID_PATTERN.test(m.backupId))
    throw invalid(`${MANIFEST_FILE}: bad backupId`);
  if (typeof m.createdAt !== 'string' || Number.isNaN(Date.parse(m.createdAt)))
    throw invalid(`${MANIFEST_FILE}: bad createdAt`);
  if (m.databaseKind !== 'postgres' && m.databaseKind !== 'pglite')
    throw invalid(`${MANIFEST_FILE}: bad databaseKind`);
  if (m.logKey !== 'data-dir' && m.logKey !== 'configured') throw invalid(`${MANIFEST_FILE}: bad logKey`);
  if (!Array.isArray(m.files)) throw invalid(`${MANIFEST_FILE}: files must be a list`);
  const seen = new Set<string>();
  for (const f of m.files) {
    if (
      typeof f?.path !== 'string' ||
      !isSafeRelativePath(f.path) ||
      !Number.isSafeInteger(f.size) ||
      f.size < 0 ||
      typeof f.sha256 !== 'string' ||
      !sha256Pattern.test(f.sha256)
    )
      throw invalid(`${MANIFEST_FILE}: bad file entry ${JSON.stringify(f).slice(0, 200)}`);
    if (seen.has(f.path)) throw invalid(`${MANIFEST_FILE}: ${f.path} is listed twice`);
    seen.add(f.path);
  }
  if (!seen.has(DATABASE_FILE)) throw invalid(`${MANIFEST_FILE} lists no ${DATABASE_FILE}`);
  if (m.logKey === 'data-dir' && !seen.has(`${DATA_PREFIX}log-key`))
    throw invalid(`${MANIFEST_FILE} says the log key is in the data dir but lists no ${DATA_PREFIX}log-key`);
  return m as BackupManifest;
}

/** Every file present, of the listed size and SHA-256 (streamed); throws one error naming each problem. */
export async function checkBackupFiles(dir: string, manifest: BackupManifest): Promise<void> {
  const problems: string[] = [];
  for (const file of manifest.files) {
    const path = join(dir, ...file.path.split('/'));
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) {
      problems.push(`${file.path} is missing`);
      continue;
    }
    if (info.size !== file.size) {
      problems.push(`${file.path} has ${info.size} bytes, the manifest says ${file.size}`);
      continue;
    }
    if ((await sha256File(path)) !== file.sha256) problems.push(`${file.path} does not match its SHA-256`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
    throw invalid(`the backup in ${dir} is damaged or incomplete: ${shown}${more}`);
  }
}
