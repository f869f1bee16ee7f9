// Where content-addressed blobs rest: the local file system (the embedded default) or an S3-compatible bucket.
// The BlobStore receives, hashes and checks every byte locally first; a backend only keeps finished blobs.
import type { Readable } from 'node:stream';

export const SHA256_NAME = /^[0-9a-f]{64}$/;

/** A stored blob as a download reads it: its size, and a stream of all or part of it. */
export interface BlobSource {
  readonly size: number;
  /** Bytes `start` to `end` inclusive; the whole blob without arguments. */
  open(range?: { start: number; end: number }): Promise<Readable>;
}

export interface BlobBackend {
  readonly kind: 'fs' | 's3';
  /** Creates what the backend needs (folders, the cache index) and checks it can be reached. */
  init(): Promise<void>;
  /**
   * Stores the finished local file `path`, whose SHA-256 is `sha256`, under that hash; the file is moved (or
   * removed when the blob is already there). Returns a local path of the blob.
   */
  putFile(path: string, sha256: string): Promise<string>;
  has(sha256: string): Promise<boolean>;
  /** The blob for a download, or undefined when it is not stored. */
  source(sha256: string): Promise<BlobSource | undefined>;
  /** A local file holding the blob (snarkjs and the verifiers read files), fetched first if need be. */
  localPath(sha256: string): Promise<string>;
  /** Every stored blob (for backups). */
  list(): AsyncIterable<{ sha256: string; size: number }>;
  /** A short-lived URL that serves the blob without this server; undefined unless the backend and config allow it. */
  presignDownload(sha256: string, downloadName: string): Promise<string | undefined>;
}

export function requireSha256(what: string, sha256: string): void {
  if (!SHA256_NAME.test(sha256)) throw new TypeError(`${what}: bad sha256 ${sha256}`);
}
