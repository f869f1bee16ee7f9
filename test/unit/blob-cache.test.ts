// The local cache of bucket blobs: least recently used evicted past the bound, a path handed out within the last
// minute kept (its reader may not have opened it yet), a restart keeps what is there, a failed fetch leaves nothing.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobCache } from '../../src/storage/blob-cache.js';

const MINUTE = 60_000;

describe('BlobCache', () => {
  let dir: string;
  let now: number;
  const clock = () => now;

  /** A blob of `size` bytes made from `seed`, fetched into `cache`; returns its hash. */
  async function fetchBlob(cache: BlobCache, seed: number, size = 40): Promise<string> {
    const bytes = Buffer.alloc(size, seed);
    const sha = createHash('sha256').update(bytes).digest('hex');
    await cache.get(sha, (temp) => writeFile(temp, bytes));
    return sha;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ceremony-cache-'));
    now = 10 * MINUTE;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('evicts the least recently used blob once past the bound, never one used within the last minute', async () => {
    const cache = new BlobCache(dir, 100, clock);
    await cache.init();
    const a = await fetchBlob(cache, 1);
    now += 2 * MINUTE;
    const b = await fetchBlob(cache, 2);
    now += 2 * MINUTE;
    expect(cache.lookup(a)).toBeDefined(); // a is now the most recently used
    now += 2 * MINUTE;
    const c = await fetchBlob(cache, 3);
    expect(existsSync(cache.pathOf(b))).toBe(false);
    expect(existsSync(cache.pathOf(a))).toBe(true);
    expect(existsSync(cache.pathOf(c))).toBe(true);
    expect(cache.heldBytes).toBe(80);

    // Every blob was used within the minute: the bound gives way rather than pull a file from under its reader.
    cache.lookup(a);
    await fetchBlob(cache, 4);
    expect(cache.heldBytes).toBe(120);
    expect(existsSync(cache.pathOf(a))).toBe(true);
  });

  it('fetches a blob once for callers that ask at the same time', async () => {
    const cache = new BlobCache(dir, 1000, clock);
    await cache.init();
    const bytes = Buffer.alloc(10, 5);
    const sha = createHash('sha256').update(bytes).digest('hex');
    let fetches = 0;
    const fetch = async (temp: string) => {
      fetches += 1;
      await writeFile(temp, bytes);
    };
    const paths = await Promise.all([cache.get(sha, fetch), cache.get(sha, fetch), cache.get(sha, fetch)]);
    expect(fetches).toBe(1);
    expect(new Set(paths).size).toBe(1);
  });

  it('a failed fetch leaves no file and no entry', async () => {
    const cache = new BlobCache(dir, 1000, clock);
    await cache.init();
    const sha = 'ab'.repeat(32);
    const failed = cache.get(sha, async (temp) => {
      await writeFile(temp, 'partial');
      throw new Error('connection reset');
    });
    await expect(failed).rejects.toThrow('connection reset');
    expect(cache.lookup(sha)).toBeUndefined();
    expect(await readdir(join(dir, 'blob-cache', 'tmp'))).toEqual([]);
  });

  it('after a restart, indexes what is there oldest first and trims it to the bound', async () => {
    const first = new BlobCache(dir, 1000, clock);
    await first.init();
    const old = await fetchBlob(first, 1);
    const recent = await fetchBlob(first, 2);
    await utimes(first.pathOf(old), new Date(1_000_000), new Date(1_000_000));
    await writeFile(join(dir, 'blob-cache', 'tmp', 'left-by-a-crash.part'), 'x');

    const second = new BlobCache(dir, 50, clock);
    await second.init();
    expect(second.lookup(old)).toBeUndefined();
    expect(second.lookup(recent)).toBeDefined();
    expect(await readdir(join(dir, 'blob-cache', 'tmp'))).toEqual([]);
  });
});
