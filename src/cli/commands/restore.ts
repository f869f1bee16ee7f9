// `ceremony restore`: offline, before `serve`; the checks and the writing live in src/backup/restore.ts.
import { resolve } from 'node:path';
import { type RestoreResult, restoreBackup } from '../../backup/restore.js';
import type { BlobStoreConfig } from '../../config.js';

export interface RestoreCommandOptions {
  from: string;
  dataDir: string;
  databaseUrl?: string;
  transcriptsDir?: string;
  /** A key file or a PKCS#11 URI: the log key, kept apart from the backup. */
  logKey?: string;
  /** BLOB_STORE and the S3_* settings, as `serve` reads them: blobs go where the server will look for them. */
  blobStore?: BlobStoreConfig;
  force: boolean;
}

export function runRestore(opts: RestoreCommandOptions): Promise<RestoreResult> {
  return restoreBackup({
    ...opts,
    from: resolve(opts.from),
    dataDir: resolve(opts.dataDir),
    transcriptsDir: opts.transcriptsDir === undefined ? undefined : resolve(opts.transcriptsDir),
  });
}

export function formatRestore(result: RestoreResult): string[] {
  const lines = [
    `restored backup ${result.backupId} taken at ${result.createdAt}: ${result.files} files, ${result.rows} rows`,
  ];
  for (const c of result.ceremonies) {
    lines.push(
      c.noticeSeq === null
        ? `  ${c.ceremony}: transcript of ${c.restoredSize} entries (finalized, nothing could be missing)`
        : `  ${c.ceremony}: transcript of ${c.restoredSize} entries; log.restored appended at seq ${c.noticeSeq}`,
    );
  }
  lines.push(
    'file' in result.logKey
      ? `log key: ${result.logKey.file}`
      : `log key: start 'serve' with --log-key (or LOG_KEY) ${result.logKey.serveWith}`,
  );
  lines.push('anything appended after the backup is gone: see docs/RUNBOOK.md "Restore after loss"');
  return lines;
}
