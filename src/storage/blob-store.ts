// Content-addressed files under the data dir: every write streams to a temp file, hashes in the same pass,
// fsyncs, then renames into place, so a crash leaves either the whole file or none.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CeremonyError } from '../errors.js';
import { sha256File } from './file-hash.js';

export interface StoredFile {
  path: string;
  sha256: string;
  size: number;
}

const sha256Pattern = /^[0-9a-f]{64}$/;

/** Counts and hashes bytes as they pass; fails the stream once more than `maxBytes` arrive. */
class HashingLimiter extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(new CeremonyError('PAYLOAD_TOO_LARGE', `body exceeds the limit of ${this.maxBytes} bytes`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
}

export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class BlobStore {
  readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
  }

  async init(): Promise<void> {
    // One coordinator owns the data dir, so whatever tmp/ holds at start was cut short by a crash.
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(join(this.root, 'blobs'), { recursive: true });
    await mkdir(join(this.root, 'uploads'), { recursive: true });
  }

  pathOf(sha256: string): string {
    if (!sha256Pattern.test(sha256)) throw new TypeError(`BlobStore.pathOf: bad sha256 ${sha256}`);
    return join(this.root, 'blobs', sha256.slice(0, 2), sha256);
  }

  uploadPath(contributionId: string): string {
    return join(this.root, 'uploads', `${contributionId}.zkey`);
  }

  async has(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  /** Streams `source` into a durable temp file, computing SHA-256 and size in the same pass. */
  async receive(source: NodeJS.ReadableStream, maxBytes: number): Promise<StoredFile> {
    const path = join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
    const limiter = new HashingLimiter(maxBytes);
    try {
      await pipeline(source, limiter, createWriteStream(path, { flags: 'wx' }));
      await fsyncPath(path);
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
    return { path, sha256: limiter.hash.digest('hex'), size: limiter.size };
  }

  /** Moves a received temp file to `target` durably (rename, then fsync of the directory). */
  async place(tempPath: string, target: string): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    await rename(tempPath, target);
    await fsyncPath(dirname(target));
  }

  /** Stores a received temp file under its hash; an identical file already there is kept. */
  async adopt(file: Pick<StoredFile, 'path' | 'sha256'>): Promise<string> {
    const target = this.pathOf(file.sha256);
    if (await this.has(file.sha256)) {
      await rm(file.path, { force: true });
    } else {
      await this.place(file.path, target);
    }
    return target;
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
  async put(source: NodeJS.ReadableStream, maxBytes: number): Promise<StoredFile> {
    const file = await this.receive(source, maxBytes);
    return { ...file, path: await this.adopt(file) };
  }

  tempPath(suffix: string): string {
    return join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}${suffix}`);
  }
}
