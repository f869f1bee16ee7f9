// The backup manifest: every file of a backup with its size and SHA-256, checked whole before a restore writes
// anything. Glossary: a *backup* is one directory (manifest.json + files); its *database snapshot* is
// `database.ndjson`; `data/…` mirrors the coordinator's data dir, `published/…` its published transcript files.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { CeremonyError } from '../errors.js';
import { sha256File } from '../storage/file-hash.js';
import { isSafeRelativePath } from '../storage/file-tree.js';
import { parseVerifierKey } from '../transcript/note.js';

export const BACKUP_FORMAT = 'ceremony-backup/v2';
/** Backups made while they still carried the log key (`data/log-key`); restore still reads them. */
export const BACKUP_FORMAT_V1 = 'ceremony-backup/v1';
/** The data dir's secret key file: never in a v2 backup (the secret is kept and restored apart). */
export const LOG_KEY_FILE = 'log-key';
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
  format: Type.Union([Type.Literal(BACKUP_FORMAT), Type.Literal(BACKUP_FORMAT_V1)]),
  backupId: Type.String(),
  createdAt: Type.String(),
  databaseKind: Type.Union([Type.Literal('postgres'), Type.Literal('pglite')]),
  /**
   * v2: the public half of the log key in force, and where the server kept the secret (`data-dir/log-key`, or the
   * key `--log-key`/`LOG_KEY` named). v1: only where, the secret itself being in the backup when in the data dir.
   */
  logKey: Type.Union([
    Type.Object({
      source: Type.Union([Type.Literal('data-dir'), Type.Literal('configured')]),
      verifierKey: Type.String(),
    }),
    Type.Literal('data-dir'),
    Type.Literal('configured'),
  ]),
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
  if (m?.format !== BACKUP_FORMAT && m?.format !== BACKUP_FORMAT_V1)
    throw invalid(`${MANIFEST_FILE} is not a ${BACKUP_FORMAT} manifest`);
  if (typeof m.backupId !== 'string' || !BACKUP_ID_PATTERN.test(m.backupId))
    throw invalid(`${MANIFEST_FILE}: bad backupId`);
  if (typeof m.createdAt !== 'string' || Number.isNaN(Date.parse(m.createdAt)))
    throw invalid(`${MANIFEST_FILE}: bad createdAt`);
  if (m.databaseKind !== 'postgres' && m.databaseKind !== 'pglite')
    throw invalid(`${MANIFEST_FILE}: bad databaseKind`);
  if (m.format === BACKUP_FORMAT) checkPublicLogKey(m.logKey);
  else if (m.logKey !== 'data-dir' && m.logKey !== 'configured')
    throw invalid(`${MANIFEST_FILE}: bad logKey`);
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
  if (m.format === BACKUP_FORMAT && seen.has(`${DATA_PREFIX}${LOG_KEY_FILE}`))
    throw invalid(
      `${MANIFEST_FILE} lists ${DATA_PREFIX}${LOG_KEY_FILE}: a ${BACKUP_FORMAT} backup holds no secret key`,
    );
  if (m.logKey === 'data-dir' && !seen.has(`${DATA_PREFIX}${LOG_KEY_FILE}`))
    throw invalid(
      `${MANIFEST_FILE} says the log key is in the data dir but lists no ${DATA_PREFIX}${LOG_KEY_FILE}`,
    );
  return m as BackupManifest;
}

function checkPublicLogKey(logKey: unknown): void {
  const k = logKey as { source?: unknown; verifierKey?: unknown } | null;
  if (typeof k !== 'object' || k === null || (k.source !== 'data-dir' && k.source !== 'configured'))
    throw invalid(`${MANIFEST_FILE}: bad logKey`);
  try {
    parseVerifierKey(k.verifierKey as string);
  } catch {
    throw invalid(`${MANIFEST_FILE}: logKey.verifierKey is not a verifier key`);
  }
}

/** The verifier key of the log key a backup's checkpoints are signed by, when the manifest names it (v2). */
export function backupLogKey(manifest: BackupManifest): string | undefined {
  return typeof manifest.logKey === 'object' ? manifest.logKey.verifierKey : undefined;
}

/** Where the backed-up server kept its log key's secret. */
export function backupLogKeySource(manifest: BackupManifest): 'data-dir' | 'configured' {
  return typeof manifest.logKey === 'object' ? manifest.logKey.source : manifest.logKey;
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
