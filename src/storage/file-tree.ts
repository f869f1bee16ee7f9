// Whole directory trees for backups: list the files, freeze them by hard links, copy them back into place.
import { chmod, copyFile, link, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncPath } from './atomic-write.js';

function isErrno(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException)?.code ?? '');
}

/** Every regular file under `root`, as `/`-separated relative paths, skipping the top-level entries in `skip`. */
export async function listFiles(root: string, skip: readonly string[] = []): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    });
    for (const entry of entries) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (prefix === '' && skip.includes(entry.name)) continue;
      if (entry.isDirectory()) await walk(join(dir, entry.name), rel);
      else if (entry.isFile()) found.push(rel);
    }
  };
  await walk(root, '');
  return found.sort();
}

/**
 * Freezes `paths` (relative to `from`) under `to` by hard links, or copies where a link cannot cross file systems.
 * Stored files are only ever replaced by rename, never rewritten, so a link keeps the content it saw.
 * A file removed meanwhile is skipped; returns the paths frozen.
 */
export async function freezeFiles(from: string, to: string, paths: readonly string[]): Promise<string[]> {
  const frozen: string[] = [];
  for (const rel of paths) {
    const source = join(from, ...rel.split('/'));
    const target = join(to, ...rel.split('/'));
    await mkdir(dirname(target), { recursive: true });
    try {
      await link(source, target);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) continue;
      if (isErrno(err, 'EEXIST')) {
        frozen.push(rel);
        continue;
      }
      if (!isErrno(err, 'EXDEV', 'EPERM', 'EMLINK')) throw err;
      await copyFile(source, target).catch((copyErr: unknown) => {
        if (!isErrno(copyErr, 'ENOENT')) throw copyErr;
      });
    }
    frozen.push(rel);
  }
  return frozen;
}

/** Copies one file durably (kernel copy, then fsync of the file and its directory). */
export async function copyFileDurably(source: string, target: string, mode?: number): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await copyFile(source, target);
  if (mode !== undefined) await chmod(target, mode);
  await fsyncPath(target);
  await fsyncPath(dirname(target));
}

/** True when `dir` does not exist or holds nothing. */
export async function isEmptyDir(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return true;
  if (!info.isDirectory()) return false;
  return (await readdir(dir)).length === 0;
}

/** A relative `/`-separated path that stays inside its root (no `..`, no absolute, no empty segment). */
export function isSafeRelativePath(rel: string): boolean {
  if (typeof rel !== 'string' || rel.length === 0 || rel.length > 1024) return false;
  if (rel.includes('\\') || rel.includes('\0')) return false;
  return rel.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}
