// Keeps ceremony-transcripts/<id>/ current (docs/PROTOCOL.md section 13), every file written atomically.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queryable } from '../db/database.js';
import * as q from '../db/queries/transcript.js';
import { copyFileAtomic, writeFileAtomic } from '../storage/atomic-write.js';
import type { BlobStore } from '../storage/blob-store.js';
import { cosignedCheckpoint } from './log.js';
import type { LogSigner } from './log-key.js';

export class Publisher {
  private readonly pending = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  /** What the files on disk show, per ceremony: tree size and cosignature count. */
  private readonly published = new Map<string, { size: number; cosignatures: number }>();

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

  /** Tree size the files on disk show, if published since this process started (for the publish-lag gauge). */
  publishedSize(ceremonyId: string): number | undefined {
    return this.published.get(ceremonyId)?.size;
  }

  dirOf(ceremonyId: string): string {
    return join(this.root, ceremonyId);
  }

  async publish(ceremonyId: string): Promise<void> {
    // One snapshot: entries up to the newest checkpoint, so the published files always agree with each other.
    const head = await q.selectLatestCheckpoint(this.db, ceremonyId);
    const size = head?.tree_size ?? 0;
    const cosigned = await this.db.query<{ tree_size: number; n: number }>(
      'SELECT tree_size, count(*)::int AS n FROM cosignatures WHERE ceremony_id = $1 GROUP BY tree_size',
      [ceremonyId],
    );
    const cosignatures = cosigned.reduce((total, c) => total + c.n, 0);
    const last = this.published.get(ceremonyId);
    // Nothing appended or cosigned since the last publish (a queue tick, a heartbeat): the files are current.
    if (last && last.size === size && last.cosignatures === cosignatures) return;

    const dir = this.dirOf(ceremonyId);
    await mkdir(join(dir, 'checkpoints'), { recursive: true });
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

    const fresh = (await q.selectCheckpointsSince(this.db, ceremonyId, last?.size ?? 0)).filter(
      (c) => c.tree_size <= size,
    );
    const recosigned = last?.cosignatures === cosignatures ? [] : cosigned.map((c) => c.tree_size);
    for (const at of new Set([...fresh.map((c) => c.tree_size), ...recosigned])) {
      const note = await cosignedCheckpoint(this.db, ceremonyId, at);
      if (note !== undefined) await writeFileAtomic(join(dir, 'checkpoints', String(at)), note);
    }
    const newest = head && (await cosignedCheckpoint(this.db, ceremonyId, head.tree_size));
    if (newest !== undefined) await writeFileAtomic(join(dir, 'checkpoint'), newest);
    await this.publishOutputs(ceremonyId, dir);
    this.published.set(ceremonyId, { size, cosignatures });
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
      await copyFileAtomic(this.store.pathOf(c.verification_key_sha256), join(out, 'verification_key.json'));
      await copyFileAtomic(this.store.pathOf(c.verifier_sol_sha256), join(out, 'verifier.sol'));
      await writeFileAtomic(join(out, 'final.zkey.sha256'), `${c.final_zkey_sha256}\n`);
    }
  }
}
