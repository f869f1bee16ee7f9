import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDurableWriter } from '../../src/storage/durable-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ceremony-durable-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Chunks of odd sizes, as a socket hands them over. */
function chunksOf(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, size = 1; at < data.length; at += size, size = (size * 7 + 13) % 70_001) {
    chunks.push(data.subarray(at, at + size));
  }
  return chunks;
}

describe('the durable file writer', () => {
  it('writes every byte in order from odd-sized chunks, with write-back asked for every 64 KiB on the way', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const path = join(dir, 'many-flushes.bin');
    await pipeline(Readable.from(chunksOf(data)), createDurableWriter(path, { flushEveryBytes: 64 * 1024 }));
    expect((await readFile(path)).equals(data)).toBe(true);
  });

  it('refuses a file that already exists, leaving it as it was', async () => {
    const path = join(dir, 'taken.bin');
    await writeFile(path, 'kept');
    await expect(
      pipeline(Readable.from([Buffer.from('new')]), createDurableWriter(path)),
    ).rejects.toMatchObject({
      code: 'EEXIST',
    });
    expect(await readFile(path, 'utf8')).toBe('kept');
  });

  it('fails the pipeline when the file cannot be opened', async () => {
    const path = join(dir, 'no-such-dir', 'file.bin');
    await expect(
      pipeline(Readable.from([Buffer.from('x')]), createDurableWriter(path)),
    ).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
