// The local copies of blobs kept in an object store: snarkjs and the verifiers read files, so a blob they need is
// fetched once into `<data dir>/blob-cache` and kept there, the least recently used evicted past the size bound.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { placeFile } from './atomic-write.js';
import { requireSha256, SHA256_NAME } from './blob-backend.js';

// A path handed out this recently may not be open yet (a snarkjs child starting): it is not evicted for now.
const HOLD_MS = 60_000;

interface Entry {
  size: number;
  usedAt: number;
}

export class BlobCache {
  readonly dir: string;
  private readonly tmpDir: string;
  /** In least-recently-used order: a use moves the entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private readonly fetching = new Map<string, Promise<string>>();
  private bytes = 0;

  constructor(
    dataDir: string,
    readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {
    this.dir = join(dataDir, 'blob-cache');
    this.tmpDir = join(this.dir, 'tmp');
  }

  /** Indexes what a previous run left, oldest first by modification time, and removes its unfinished fetches. */
  async init(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    const found: { sha256: string; size: number; mtimeMs: number }[] = [];
    for (const prefix of await readdir(this.dir)) {
      if (prefix === 'tmp') continue;
      for (const name of await readdir(join(this.dir, prefix)).catch(() => [])) {
        const info = await stat(join(this.dir, prefix, name)).catch(() => undefined);
        if (SHA256_NAME.test(name) && info?.isFile())
          found.push({ sha256: name, size: info.size, mtimeMs: info.mtimeMs });
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of found) this.remember(f.sha256, f.size, 0);
    await this.evict();
  }

  /** Bytes held now; may pass `maxBytes` for a while when every entry was used within the last minute. */
  get heldBytes(): number {
    return this.bytes;
  }

  pathOf(sha256: string): string {
    requireSha256('BlobCache.pathOf', sha256);
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  tempPath(): string {
    return join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
  }

  /** The cached file of `sha256`, marked as just used, or undefined. */
  lookup(sha256: string): string | undefined {
    const entry = this.entries.get(sha256);
    if (entry === undefined) return undefined;
    this.remember(sha256, entry.size, this.now());
    return this.pathOf(sha256);
  }

  /** Moves a finished, checked file into the cache under its hash and evicts past the bound. */
  async admit(path: string, sha256: string): Promise<string> {
    const { size } = await stat(path);
    const target = this.pathOf(sha256);
    await placeFile(path, target);
    this.remember(sha256, size, this.now());
    await this.evict();
    return target;
  }

  /** The cached file, or `fetch(tempPath)` once (concurrent callers share it) then admitted. */
  async get(sha256: string, fetch: (tempPath: string) => Promise<void>): Promise<string> {
    const hit = this.lookup(sha256);
    if (hit !== undefined) return hit;
    const running = this.fetching.get(sha256);
    if (running !== undefined) return running;
    const temp = this.tempPath();
    const job = fetch(temp)
      .then(() => this.admit(temp, sha256))
      .catch(async (err: unknown) => {
        await rm(temp, { force: true });
        throw err;
      })
      .finally(() => this.fetching.delete(sha256));
    this.fetching.set(sha256, job);
    return job;
  }

  private remember(sha256: string, size: number, usedAt: number): void {
    const old = this.entries.get(sha256);
    if (old !== undefined) this.bytes -= old.size;
    this.entries.delete(sha256);
    this.entries.set(sha256, { size, usedAt });
    this.bytes += size;
  }

  private async evict(): Promise<void> {
    const heldSince = this.now() - HOLD_MS;
    for (const [sha256, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) return;
      if (entry.usedAt > heldSince) continue;
      this.entries.delete(sha256);
      this.bytes -= entry.size;
      // A reader that already opened the file keeps its bytes: unlinking does not cut an open file.
      await rm(this.pathOf(sha256), { force: true });
    }
  }
}
