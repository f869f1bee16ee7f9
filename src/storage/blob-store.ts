// Content-addressed blobs: every write streams to a local temp file, hashes in the same pass, fsyncs, and only
// then is stored under its hash by the backend (renamed into the data dir, or put into the bucket), so a crash or a
// cut body leaves either the whole blob or none.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CeremonyError } from '../errors.js';
import { fsyncPath, placeFile } from './atomic-write.js';
import type { BlobBackend, BlobSource } from './blob-backend.js';
import { createDurableWriter } from './durable-writer.js';
import { sha256File } from './file-hash.js';
import { armWatchdog, describeWriteError, type IntakeLimits, requireFreeSpace } from './intake.js';

export interface StoredFile {
  path: string;
  sha256: string;
  size: number;
}

export interface BlobStoreOptions {
  /** Uploads and blob puts are refused while fewer bytes than this are free. */
  reserveBytes: number;
  /** A stream that sends nothing for this long is cut. */
  idleMs: number;
}

export type ReceiveLimits = Omit<IntakeLimits, 'idleMs'> & {
  /** Sees every chunk in order (the streaming verifier); the body is read no faster than it takes them. */
  observe?: ((chunk: Uint8Array) => Promise<void>) | undefined;
  /**
   * Appends to this file, whose first bytes arrived earlier (a resumed upload), instead of a new temp file; the file
   * is kept when the stream fails. `maxBytes` and the result's size and hash count the whole file.
   */
  resume?: { path: string } | undefined;
  /**
   * Cuts the stream from outside, with the signal's reason: its participant came back on a new connection, or the
   * sender's key was revoked meanwhile.
   */
  signal?: AbortSignal | undefined;
};

// A received file waits only seconds for its checks before it is renamed; one this old belongs to no request.
const STALE_TEMP_MS = 15 * 60_000;

/** Counts and hashes bytes as they pass; fails the stream once more than `maxBytes` arrive. */
class HashingLimiter extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onChunk: () => void,
    private readonly observe?: (chunk: Uint8Array) => Promise<void>,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.onChunk();
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(new CeremonyError('PAYLOAD_TOO_LARGE', `body exceeds the limit of ${this.maxBytes} bytes`));
      return;
    }
    this.hash.update(chunk);
    if (!this.observe) {
      done(null, chunk);
      return;
    }
    // The next chunk is not read until the observer has taken this one: back-pressure on the socket.
    this.observe(chunk).then(
      () => done(null, chunk),
      (err: Error) => done(err),
    );
  }
}

async function heldBytes(path: string): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const info = await stat(path).catch(() => undefined);
  return info?.size ?? 0;
}

export class BlobStore {
  readonly tmpDir: string;
  /** Streams being received, by temp path: aborted on shutdown, spared by the sweeper. */
  private readonly inFlight = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  private closing = false;

  constructor(
    readonly root: string,
    readonly options: BlobStoreOptions,
    readonly backend: BlobBackend,
  ) {
    this.tmpDir = join(root, 'tmp');
  }

  /**
   * Creates the folders and removes every temp file a previous run left (no stream or job can own one yet), unless
   * `shared`: other processes on the same data dir may be writing theirs, so only stale uploads (`.part` files
   * untouched for 15 minutes) go, as in the periodic sweep.
   */
  async init(options: { shared: boolean } = { shared: false }): Promise<number> {
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(join(this.root, 'uploads'), { recursive: true });
    await this.backend.init();
    return options.shared ? this.sweepStaleParts() : this.sweepTemp(0, () => true);
  }

  /** Removes `.part` files that no stream owns and that have not changed for a while; returns how many. */
  async sweepStaleParts(now = Date.now()): Promise<number> {
    return this.sweepTemp(now - STALE_TEMP_MS, (name) => name.endsWith('.part'));
  }

  private async sweepTemp(olderThanMs: number, matches: (name: string) => boolean): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      if (!matches(name) || this.inFlight.has(path)) continue;
      const info = await stat(path).catch(() => undefined);
      if (info === undefined || (olderThanMs > 0 && info.mtimeMs > olderThanMs)) continue;
      await rm(path, { force: true, recursive: true });
      removed += 1;
    }
    return removed;
  }

  /** Cuts every stream being received (their temp files are removed) and refuses new ones. */
  async abortReceives(): Promise<void> {
    this.closing = true;
    const reason = new CeremonyError('UNAVAILABLE', 'the server is shutting down');
    for (const { controller } of this.inFlight.values()) controller.abort(reason);
    await Promise.allSettled([...this.inFlight.values()].map((r) => r.done));
  }

  /** A local file holding the blob, for snarkjs and the verifiers (with an object store: fetched into the cache). */
  localPath(sha256: string): Promise<string> {
    return this.backend.localPath(sha256);
  }

  /** The blob for a download (size, ranges), or undefined when it is not stored. */
  source(sha256: string): Promise<BlobSource | undefined> {
    return this.backend.source(sha256);
  }

  uploadPath(contributionId: string): string {
    return join(this.root, 'uploads', `${contributionId}.zkey`);
  }

  /** A short-lived URL that serves the blob straight from the object store, when `S3_PRESIGN_DOWNLOADS=on`. */
  presignDownload(sha256: string, downloadName: string): Promise<string | undefined> {
    return this.backend.presignDownload(sha256, downloadName);
  }

  has(sha256: string): Promise<boolean> {
    return this.backend.has(sha256);
  }

  /**
   * Streams `source` into a durable temp file, computing SHA-256 and size in the same pass. Refused before a byte
   * is written when disk space is below the reserve; cut (temp file removed) on a stall, the deadline or shutdown.
   */
  async receive(source: NodeJS.ReadableStream, limits: ReceiveLimits): Promise<StoredFile> {
    if (this.closing) throw new CeremonyError('UNAVAILABLE', 'the server is shutting down');
    await requireFreeSpace(this.tmpDir, this.options.reserveBytes, limits.expectedBytes ?? 0);
    const resume = limits.resume;
    const path = resume?.path ?? join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
    const held = resume === undefined ? 0 : await heldBytes(path);
    const controller = new AbortController();
    const watchdog = armWatchdog(controller, this.options.idleMs, limits.deadline);
    const outside = limits.signal;
    const cut = () => controller.abort(outside?.reason);
    if (outside?.aborted) cut();
    outside?.addEventListener('abort', cut, { once: true });
    const limiter = new HashingLimiter(limits.maxBytes - held, watchdog.touch, limits.observe);
    // The hash of what arrived before the cut is read back from disk: a hash's state does not outlive its process.
    if (held > 0)
      for await (const chunk of createReadStream(path, { end: held - 1 })) limiter.hash.update(chunk);
    // Written back to disk while the upload arrives, fsynced at the end.
    const writer = createDurableWriter(path, { flags: resume === undefined ? 'wx' : 'a' });
    const done = (async () => {
      try {
        await pipeline(source, limiter, writer, { signal: controller.signal });
      } catch (err) {
        // A write still running lands before anyone reads the file's size: a resume goes on from that size.
        if (!writer.closed) await once(writer, 'close').catch(() => undefined);
        if (resume === undefined) await rm(path, { force: true });
        throw controller.signal.aborted ? controller.signal.reason : describeWriteError(err);
      } finally {
        watchdog.stop();
        outside?.removeEventListener('abort', cut);
        this.inFlight.delete(path);
      }
    })();
    this.inFlight.set(path, { controller, done });
    await done;
    return { path, sha256: limiter.hash.digest('hex'), size: held + limiter.size };
  }

  /** Moves a received temp file to `target` durably (rename, then fsync of the directory). */
  place(tempPath: string, target: string): Promise<void> {
    return placeFile(tempPath, target);
  }

  /**
   * Stores a received temp file under its hash (an identical blob already there is kept); returns a local path of
   * the blob. The hash is known before the backend sees a byte, so nothing is ever stored under a wrong name.
   */
  adopt(file: Pick<StoredFile, 'path' | 'sha256'>): Promise<string> {
    return this.backend.putFile(file.path, file.sha256);
  }

  /** Hashes a finished temp file (e.g. a snarkjs output) and stores it under that hash; returns the hash. */
  async adoptFile(path: string): Promise<string> {
    await fsyncPath(path);
    const sha256 = await sha256File(path);
    await this.adopt({ path, sha256 });
    return sha256;
  }

  /** Stores small bytes (an exported verification key or verifier) under their hash; returns the hash. */
  async putBytes(data: string | Uint8Array): Promise<string> {
    const path = this.tempPath('.bin');
    await writeFile(path, data, { flag: 'wx' });
    return this.adoptFile(path);
  }

  /** Streams `source` straight into the content store. */
  async put(source: NodeJS.ReadableStream, limits: ReceiveLimits): Promise<StoredFile> {
    const file = await this.receive(source, limits);
    return { ...file, path: await this.adopt(file) };
  }

  tempPath(suffix: string): string {
    return join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}${suffix}`);
  }
}
