// Small files written whole or not at all: temp file, fsync, rename.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * `sync: false` skips the fsync for files that are rebuilt from the database after a crash anyway: the rename
 * still shows readers the whole file or none.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
  options: { sync?: boolean } = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    if (options.sync !== false) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}
