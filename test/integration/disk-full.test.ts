// A real, tiny file system (tmpfs with size=) so the disk truly fills mid-upload. Mounting needs root; elsewhere
// the test is skipped and says so.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../src/errors.js';
import { BlobStore } from '../../src/storage/blob-store.js';
import { FsBlobs } from '../../src/storage/fs-blobs.js';

const MIB = 1024 * 1024;

function tryMountTmpfs(dir: string, sizeBytes: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function* chunks(total: number, size: number) {
  for (let sent = 0; sent < total; sent += size) yield Buffer.alloc(Math.min(size, total - sent), 9);
}

const root = await mkdtemp(join(tmpdir(), 'ceremony-disk-full-'));
const mounted = tryMountTmpfs(root, 4 * MIB);

describe.skipIf(!mounted)('a disk that fills mid-upload (4 MiB tmpfs)', () => {
  let store: BlobStore;

  beforeAll(async () => {
    store = new BlobStore(root, { reserveBytes: 0, idleMs: 10_000 }, new FsBlobs(root));
    await store.init();
  });

  afterAll(async () => {
    execFileSync('umount', [root]);
    await rm(root, { recursive: true, force: true });
  });

  it('answers INSUFFICIENT_STORAGE and leaves no partial file', async () => {
    const upload = store.put(Readable.from(chunks(16 * MIB, 64 * 1024)), { maxBytes: 64 * MIB });
    const err = await upload.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CeremonyError);
    expect((err as CeremonyError).code).toBe('INSUFFICIENT_STORAGE');
    expect((err as CeremonyError).status).toBe(507);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(await readdir(join(root, 'blobs'))).toEqual([]);
  });

  it('refuses before writing when the reserve would be crossed, and stores what fits', async () => {
    const guarded = new BlobStore(root, { reserveBytes: 3 * MIB, idleMs: 10_000 }, new FsBlobs(root));
    const refused = await guarded
      .put(Readable.from(chunks(2 * MIB, 64 * 1024)), { maxBytes: 64 * MIB, expectedBytes: 2 * MIB })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((refused as CeremonyError).code).toBe('INSUFFICIENT_STORAGE');
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    // The same store with room to spare takes a file that fits: the refusal was the reserve, not a broken disk.
    const stored = await store.put(Readable.from(chunks(MIB, 64 * 1024)), { maxBytes: 64 * MIB });
    expect(stored.size).toBe(MIB);
  });
});

if (!mounted) {
  await rm(root, { recursive: true, force: true });
  console.warn('disk-full test skipped: mounting a tmpfs needs root');
}
