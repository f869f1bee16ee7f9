// Picks the blob backend the configuration names; the AWS SDK is loaded only when the bucket is used.
import type { BlobStoreConfig } from '../config.js';
import type { BlobBackend } from './blob-backend.js';
import { FsBlobs } from './fs-blobs.js';

export async function openBlobBackend(
  config: BlobStoreConfig,
  dataDir: string,
  logFailure: (err: unknown, what: string) => void,
): Promise<BlobBackend> {
  if (config.kind === 'fs') return new FsBlobs(dataDir);
  const { S3Blobs } = await import('./s3-blobs.js');
  return new S3Blobs(config, dataDir, logFailure);
}
