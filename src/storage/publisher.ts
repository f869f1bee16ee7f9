// Keeps ceremony-transcripts/<id>/ current (SPEC.md "Published files"), every file written atomically.
import { copyFile, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queryable } from '../db/database.js';
import * as q from '../db/queries/transcript.js';
import { cosignedCheckpoint } from '../transcript/log.js';
import type { LogSigner } from '../transcript/log-key.js';
import { writeFileAtomic } from './atomic-write.js';
import type { BlobStore } from './blob-store.js';

export class Publisher {
  private readonly pending = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly publishedSize = new Map<string, number>();

  constructor(
    private readonly db: Queryable,
    private readonly store: BlobStore,
    private readonly signer: LogSigner,
    private readonly root: string,
    private readonly onError: (err: unknown, ceremonyId: string) => void,
  ) {}

  /** Publishes soon; many changes in a row coalesce into one rewrite. */
  schedule(ceremonyId: string): void {
    this.dirty.add(ceremonyId);
    if (this.pending.has(ceremonyId)) return;
    const run = (async () => {
      while (this.dirty.delete(ceremonyId)) {
        await this.publish(ceremonyId).catch((err: unknown) => this.onError(err, ceremonyId));
      }
    })().finally(() => this.pending.delete(ceremonyId));
    this.pending.set(ceremonyId, run);
  }

  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending.values()]);
  }

  dirOf(ceremonyId: string): string {
    return join(this.root, ceremonyId);
  }

  async publish(ceremonyId: string): Promise<void> {
    const dir = this.dirOf(ceremonyId);
    await mkdir(join(dir, 'checkpoints'), { recursive: true });
    // One snapshot: entries up to the newest checkpoint, so the published files always agree with each other.
    const head = await q.selectLatestCheckpoint(this.db, ceremonyId);
    const size = head?.tree_size ?? 0;
    const lines: string[] = [];
    while (lines.length < size) {
      const batch = await q.selectEntries(
        this.db,
        ceremonyId,
        lines.length,
        Math.min(5000, size - lines.length),
      );
      if (batch.length === 0) break;
      for (const e of batch) lines.push(e.line);
    }
    await writeFileAtomic(join(dir, 'transcript.jsonl'), lines.map((l) => `${l}\n`).join(''));
    await writeFileAtomic(join(dir, 'log-key.pub'), `${this.signer.verifierKey}\n`);

    const since = this.publishedSize.get(ceremonyId) ?? 0;
    const fresh = (await q.selectCheckpointsSince(this.db, ceremonyId, since)).filter(
      (c) => c.tree_size <= size,
    );
    const cosigned = await this.db.query<{ tree_size: number }>(
      'SELECT DISTINCT tree_size FROM cosignatures WHERE ceremony_id = $1',
      [ceremonyId],
    );
    const sizes = new Set([...fresh.map((c) => c.tree_size), ...cosigned.map((c) => c.tree_size)]);
    for (const size of sizes) {
      const note = await cosignedCheckpoint(this.db, ceremonyId, size);
      if (note !== undefined) await writeFileAtomic(join(dir, 'checkpoints', String(size)), note);
    }
    const newest = head && (await cosignedCheckpoint(this.db, ceremonyId, head.tree_size));
    if (newest !== undefined) await writeFileAtomic(join(dir, 'checkpoint'), newest);
    const top = fresh.at(-1);
    if (top) this.publishedSize.set(ceremonyId, top.tree_size);
    await this.publishOutputs(ceremonyId, dir);
  }

  private async publishOutputs(ceremonyId: string, dir: string): Promise<void> {
    const circuits = await this.db.query<{
      name: string;
      final_zkey_sha256: string | null;
      verification_key_sha256: string | null;
      verifier_sol_sha256: string | null;
    }>(
      `SELECT name, final_zkey_sha256, verification_key_sha256, verifier_sol_sha256 FROM circuits
       WHERE ceremony_id = $1 AND verification_key_sha256 IS NOT NULL`,
      [ceremonyId],
    );
    for (const c of circuits) {
      if (!c.final_zkey_sha256 || !c.verification_key_sha256 || !c.verifier_sol_sha256) continue;
      const out = join(dir, c.name);
      await mkdir(out, { recursive: true });
      await copyAtomic(this.store.pathOf(c.verification_key_sha256), join(out, 'verification_key.json'));
      await copyAtomic(this.store.pathOf(c.verifier_sol_sha256), join(out, 'verifier.sol'));
      await writeFileAtomic(join(out, 'final.zkey.sha256'), `${c.final_zkey_sha256}\n`);
    }
  }
}

async function copyAtomic(from: string, to: string): Promise<void> {
  const temp = `${to}.tmp`;
  await copyFile(from, temp);
  await rename(temp, to);
}
