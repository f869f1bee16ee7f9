// A data dir on its own small file system, so the campaign can fill it: a tmpfs when mounting works (root).
import { execFile } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SizeLimitedDir {
  path: string;
  /** Fills the file system with one file until writes fail with ENOSPC. */
  fill(): Promise<void>;
  /** Frees what `fill` took. */
  free(): Promise<void>;
  release(): Promise<void>;
}

/** Mounts a tmpfs of `megabytes` on `path`; undefined when this machine does not allow mounting. */
export async function mountSizeLimitedDir(
  path: string,
  megabytes: number,
): Promise<SizeLimitedDir | undefined> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,mode=0755`, 'tmpfs', path]);
  } catch {
    return undefined;
  }
  const filler = join(path, 'filler');
  return {
    path,
    async fill() {
      const handle = await open(filler, 'w');
      try {
        // Big chunks first, then ever smaller ones, so not even a page stays free.
        for (let size = 1 << 20; size >= 512; size >>= 1) {
          const chunk = Buffer.alloc(size);
          try {
            for (;;) await handle.write(chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          }
        }
      } finally {
        await handle.close();
      }
    },
    async free() {
      await rm(filler, { force: true });
    },
    async release() {
      await rm(filler, { force: true });
      await run('umount', ['-l', path]).catch(() => undefined);
    },
  };
}
