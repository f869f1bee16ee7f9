// `ceremony admin backup`: asks the coordinator to stage a backup, streams every file of it to a local directory
// (SHA-256 checked as it arrives), and writes the manifest last, so an interrupted backup is never taken for whole.
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type BackupManifest, MANIFEST_FILE } from '../../backup/manifest.js';
import { toHex } from '../../crypto/hex.js';
import { openSigner } from '../../keys/open-signer.js';
import { writeFileAtomic } from '../../storage/atomic-write.js';
import { isEmptyDir } from '../../storage/file-tree.js';
import { CoordinatorClient } from '../client.js';
import type { CliOutput } from '../output.js';

export interface BackupOptions {
  server: string;
  keyFile: string;
  out: string;
  output: CliOutput;
}

export interface BackupSummary {
  backupId: string;
  dir: string;
  createdAt: string;
  databaseKind: string;
  files: number;
  bytes: number;
}

export async function runBackup(opts: BackupOptions): Promise<BackupSummary> {
  const dir = resolve(opts.out);
  if (!(await isEmptyDir(dir))) throw new Error(`backup: ${dir} is not empty; back up into a new directory`);
  const keys = await openSigner(opts.keyFile);
  // A backup holds every ceremony's database rows: readable by its owner alone, like the data dir it copies.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const client = new CoordinatorClient(opts.server);
  if ((await client.login(keys)).coordinator === false)
    throw new Error(
      `the key in ${opts.keyFile} (${toHex(keys.publicKey)}) is not a coordinator key of ${client.baseUrl}`,
    );
  const manifest = await client.postJson<BackupManifest>('/admin/backups');
  const base = `/admin/backups/${encodeURIComponent(manifest.backupId)}/files/`;
  let bytes = 0;
  for (const [i, file] of manifest.files.entries()) {
    const target = join(dir, ...file.path.split('/'));
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const got = await client.downloadToFile(
      target,
      base + file.path.split('/').map(encodeURIComponent).join('/'),
      file.sha256,
      undefined,
      0o600,
    );
    if (got.size !== file.size)
      throw new Error(`backup: ${file.path} arrived with ${got.size} bytes, not ${file.size}`);
    bytes += got.size;
    if (!opts.output.json) opts.output.writeStderr(`[${i + 1}/${manifest.files.length}] ${file.path}\n`);
  }
  await writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
  await client.deleteJson(`/admin/backups/${encodeURIComponent(manifest.backupId)}`);
  return {
    backupId: manifest.backupId,
    dir,
    createdAt: manifest.createdAt,
    databaseKind: manifest.databaseKind,
    files: manifest.files.length,
    bytes,
  };
}

export function formatBackup(summary: BackupSummary): string[] {
  const lines = [
    `backup ${summary.backupId} taken at ${summary.createdAt} (${summary.databaseKind})`,
    `${summary.files} files, ${summary.bytes} bytes, in ${summary.dir} (manifest.json lists each SHA-256)`,
  ];
  return lines;
}
