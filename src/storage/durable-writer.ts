// A file writer whose data is on disk when it finishes, without a long wait at the end. The kernel holds written
// pages in memory until memory pressure or an fsync sends them out, so a 1 GiB upload followed by one fsync spends
// seconds writing to disk after the last byte arrived. This writer asks for write-back (fdatasync, one at a time, in
// the thread pool) every `flushEveryBytes` while data is still arriving; its final fsync waits for the last stretch.
import { type FileHandle, open } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** How much written data may wait in memory before write-back is asked for. */
export const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;
/** Data the stream buffers before a write call: fewer, larger writes than the default 16 KiB. */
const BUFFER_BYTES = 1024 * 1024;

export interface DurableWriterOptions {
  /** `wx` (default) refuses an existing file; `a` appends to one (a resumed upload). */
  flags?: 'wx' | 'w' | 'a';
  mode?: number;
  flushEveryBytes?: number;
}

/** Writes to a new file; `finish` is emitted once every byte is written and fsynced. */
export function createDurableWriter(path: string, options: DurableWriterOptions = {}): Writable {
  const flushEvery = options.flushEveryBytes ?? FLUSH_EVERY_BYTES;
  let handle: FileHandle | undefined;
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  let flushError: unknown;

  const startFlush = (file: FileHandle) => {
    unflushed = 0;
    flushing = file.datasync().then(
      () => {
        flushing = undefined;
      },
      (err: unknown) => {
        flushError = err;
        flushing = undefined;
      },
    );
  };

  const writeAll = async (chunks: Buffer[]) => {
    const file = handle;
    if (file === undefined) throw new Error('durable writer: file is not open');
    if (flushError !== undefined) throw flushError;
    let bytes = chunks.reduce((sum, c) => sum + c.length, 0);
    let pending = chunks;
    // writev may write less than asked (a signal, a full disk reported late): go on from where it stopped.
    while (bytes > 0) {
      const { bytesWritten } = await file.writev(pending);
      bytes -= bytesWritten;
      unflushed += bytesWritten;
      pending = dropBytes(pending, bytesWritten);
    }
    if (unflushed >= flushEvery && flushing === undefined) startFlush(file);
  };

  return new Writable({
    highWaterMark: BUFFER_BYTES,
    construct(callback) {
      open(path, options.flags ?? 'wx', options.mode ?? 0o644).then(
        (file) => {
          handle = file;
          callback();
        },
        (err: Error) => callback(err),
      );
    },
    writev(entries, callback) {
      writeAll(entries.map((e) => e.chunk as Buffer)).then(() => callback(), callback);
    },
    final(callback) {
      (async () => {
        await flushing;
        if (flushError !== undefined) throw flushError;
        await handle?.sync();
      })().then(() => callback(), callback);
    },
    destroy(err, callback) {
      (async () => {
        await flushing;
        await handle?.close();
      })().then(
        () => callback(err),
        (closeError: Error) => callback(err ?? closeError),
      );
    },
  });
}

function dropBytes(chunks: Buffer[], count: number): Buffer[] {
  let left = count;
  const rest: Buffer[] = [];
  for (const chunk of chunks) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    rest.push(left > 0 ? chunk.subarray(left) : chunk);
    left = 0;
  }
  return rest;
}
