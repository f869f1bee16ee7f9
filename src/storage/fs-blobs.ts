// The embedded default: blobs as files under `<data dir>/blobs/<first two hex>/<sha256>`.
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { placeFile } from './atomic-write.js';
import { type BlobBackend, type BlobSource, requireSha256, SHA256_NAME } from './blob-backend.js';

/** A local file as a download reads it; undefined when there is no such file. */
export async function fileSource(path: string): Promise<BlobSource | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return undefined;
  return {
    size: info.size,
    open: async (range) => createReadStream(path, range),
  };
}

export class FsBlobs implements BlobBackend {
  readonly kind = 'fs';
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'blobs');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  pathOf(sha256: string): string {
    requireSha256('FsBlobs.pathOf', sha256);
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  async putFile(path: string, sha256: string): Promise<string> {
    const target = this.pathOf(sha256);
    if (await this.has(sha256)) await rm(path, { force: true });
    else await placeFile(path, target);
    return target;
  }

  async has(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  source(sha256: string): Promise<BlobSource | undefined> {
    return fileSource(this.pathOf(sha256));
  }

  async localPath(sha256: string): Promise<string> {
    return this.pathOf(sha256);
  }

  async presignDownload(): Promise<undefined> {
    return undefined;
  }

  async *list(): AsyncIterable<{ sha256: string; size: number }> {
    for (const prefix of (await readdir(this.dir)).sort()) {
      const names = await readdir(join(this.dir, prefix)).catch(() => []);
      for (const name of names.sort()) {
        if (!SHA256_NAME.test(name)) continue;
        const info = await stat(join(this.dir, prefix, name)).catch(() => undefined);
        if (info?.isFile()) yield { sha256: name, size: info.size };
      }
    }
  }
}
