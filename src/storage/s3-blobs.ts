// Blobs in an S3-compatible bucket under `<prefix><sha256>`, each written only once its hash is known (the
// BlobStore spools and hashes every body locally first), with a bounded local cache for the readers of files.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Config } from '../config.js';
import { CeremonyError } from '../errors.js';
import { type BlobBackend, type BlobSource, requireSha256, SHA256_NAME } from './blob-backend.js';
import { BlobCache } from './blob-cache.js';

// Parts of a multipart upload in flight at once: with the part size, what one put holds in memory.
const UPLOAD_QUEUE = 2;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/** Reports a bucket failure that a request or job turns into `UNAVAILABLE` (the details stay in the server log). */
export type S3FailureLog = (err: unknown, what: string) => void;

export class S3Blobs implements BlobBackend {
  readonly kind = 's3';
  readonly cache: BlobCache;
  private readonly client: S3Client;

  constructor(
    private readonly config: S3Config,
    dataDir: string,
    private readonly logFailure: S3FailureLog,
  ) {
    this.cache = new BlobCache(dataDir, config.cacheBytes);
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
      ...(config.accessKeyId === undefined || config.secretAccessKey === undefined
        ? {}
        : { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }),
    });
  }

  /** Anything but "no such key" from the bucket: the request cannot be served now. */
  private unavailable(err: unknown, what: string): CeremonyError {
    this.logFailure(err, what);
    return new CeremonyError('UNAVAILABLE', 'the object store did not answer; try again later', {
      retryAfterSeconds: 5,
    });
  }

  keyOf(sha256: string): string {
    requireSha256('S3Blobs.keyOf', sha256);
    return `${this.config.prefix}${sha256}`;
  }

  async init(): Promise<void> {
    await this.cache.init();
    await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket })).catch((err: unknown) => {
      throw new Error(`S3 bucket '${this.config.bucket}' cannot be reached: ${(err as Error).name}`, {
        cause: err,
      });
    });
  }

  async putFile(path: string, sha256: string): Promise<string> {
    if (!(await this.has(sha256))) {
      // Multipart above one part: the object appears under its key only when the last part is committed.
      const upload = new Upload({
        client: this.client,
        params: {
          Bucket: this.config.bucket,
          Key: this.keyOf(sha256),
          Body: createReadStream(path),
          ContentType: 'application/octet-stream',
        },
        partSize: this.config.partBytes,
        queueSize: UPLOAD_QUEUE,
        leavePartsOnError: false,
      });
      await upload.done().catch((err: unknown) => {
        throw this.unavailable(err, 'S3 upload failed');
      });
    }
    return this.cache.admit(path, sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.head(sha256)) !== undefined;
  }

  private async head(sha256: string): Promise<{ size: number } | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(sha256) }),
      );
      return { size: head.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.unavailable(err, 'S3 HeadObject failed');
    }
  }

  async source(sha256: string): Promise<BlobSource | undefined> {
    const found = await this.head(sha256);
    if (found === undefined) return undefined;
    return {
      size: found.size,
      open: (range) => this.read(sha256, range),
    };
  }

  private async read(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    const answer = await this.client
      .send(
        new GetObjectCommand({
          Bucket: this.config.bucket,
          Key: this.keyOf(sha256),
          ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` }),
        }),
      )
      .catch((err: unknown) => {
        throw isNotFound(err)
          ? new CeremonyError('NOT_FOUND', 'file is not in the store')
          : this.unavailable(err, 'S3 GetObject failed');
      });
    // In Node the SDK's body is the HTTP response stream itself.
    return answer.Body as Readable;
  }

  async localPath(sha256: string): Promise<string> {
    return this.cache.get(sha256, async (temp) => {
      const hash = createHash('sha256');
      const body = await this.read(sha256);
      body.on('data', (chunk: Buffer) => hash.update(chunk));
      await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
      const got = hash.digest('hex');
      // The bucket is outside this server's care: a changed object must not reach snarkjs under the old name.
      if (got !== sha256) {
        await rm(temp, { force: true });
        throw new Error(`object ${this.keyOf(sha256)} in the bucket has SHA-256 ${got}, not its name`);
      }
    });
  }

  async *list(): AsyncIterable<{ sha256: string; size: number }> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.config.bucket,
          Prefix: this.config.prefix,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(this.config.prefix.length) ?? '';
        if (SHA256_NAME.test(name)) yield { sha256: name, size: o.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async presignDownload(sha256: string, downloadName: string): Promise<string | undefined> {
    if (!this.config.presignDownloads) return undefined;
    const command = new GetObjectCommand({
      Bucket: this.config.bucket,
      Key: this.keyOf(sha256),
      ResponseContentDisposition: `attachment; filename="${downloadName}"`,
    });
    return getSignedUrl(this.client, command, { expiresIn: this.config.presignExpirySeconds });
  }

  destroy(): void {
    this.client.destroy();
  }
}
