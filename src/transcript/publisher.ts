// Keeps ceremony-transcripts/<id>/ current (docs/PROTOCOL.md section 13) at O(1) work per new entry:
// transcript.jsonl is appended to, only new checkpoints are written, and a failed publish is retried. The database is
// the truth: the first publish after a start checks the files against it and repairs a torn or foreign tail.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queryable } from '../db/database.js';
import * as q from '../db/queries/transcript.js';
import { copyFileAtomic, writeFileAtomic } from '../storage/atomic-write.js';
import type { BlobStore } from '../storage/blob-store.js';
import { cosignedCheckpoint } from './log.js';
import type { LogSigner } from './log-key.js';
import { appendLines, repairLines } from './transcript-file.js';

/** What the files on disk show for one ceremony. */
interface Published {
  /** Lines in transcript.jsonl, all equal to the database's entries. */
  size: number;
  /** Bytes of those lines: a reader sends this prefix, whatever an append in progress adds after it. */
  bytes: number;
  /** Cosignature count per tree size, as written in checkpoints/<size>. */
  cosigned: Map<number, number>;
  /** Output files (by SHA-256) already copied. */
  outputs: Set<string>;
}

/** A published transcript file: its first `bytes` bytes are its first `size` entries, each line as the log holds it. */
export interface PublishedTranscript {
  path: string;
  size: number;
  bytes: number;
}

const ENTRY_BATCH = 5000;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 60_000;

export class Publisher {
  private readonly pending = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly published = new Map<string, Published>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  /** The last retry delay per ceremony, doubled on each failure in a row, forgotten on success. */
  private readonly backoff = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly db: Queryable,
    private readonly store: BlobStore,
    private readonly signer: LogSigner,
    private readonly root: string,
    private readonly onError: (err: unknown, ceremonyId: string) => void,
  ) {}

  /** Publishes soon; many changes in a row coalesce into one pass. */
  schedule(ceremonyId: string): void {
    if (this.stopped) return;
    this.dirty.add(ceremonyId);
    if (this.pending.has(ceremonyId)) return;
    const run = (async () => {
      while (this.dirty.delete(ceremonyId)) {
        try {
          await this.publish(ceremonyId);
          this.clearRetry(ceremonyId, true);
        } catch (err) {
          // What the files show is unknown now: the next attempt checks them against the database again.
          this.published.delete(ceremonyId);
          this.onError(err, ceremonyId);
          this.scheduleRetry(ceremonyId);
        }
      }
    })().finally(() => this.pending.delete(ceremonyId));
    this.pending.set(ceremonyId, run);
  }

  /** Waits for every publish under way; retries still waiting are run now, once. */
  async flush(): Promise<void> {
    for (const id of [...this.retries.keys()]) {
      this.clearRetry(id);
      this.schedule(id);
    }
    while (this.pending.size > 0) await Promise.allSettled([...this.pending.values()]);
  }

  /** Flushes, then drops pending retries: called once at shutdown. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
    for (const id of [...this.retries.keys()]) this.clearRetry(id);
  }

  /**
   * Forgets what the files showed: another process may have published since (the scheduler moved), so the next
   * publish checks them against the database again.
   */
  forgetPublished(): void {
    this.published.clear();
  }

  /** Tree size the files on disk show, if published since this process started (for the publish-lag gauge). */
  publishedSize(ceremonyId: string): number | undefined {
    return this.published.get(ceremonyId)?.size;
  }

  /** The published transcript.jsonl and how much of it is checked and complete, if published since this start. */
  publishedTranscript(ceremonyId: string): PublishedTranscript | undefined {
    const state = this.published.get(ceremonyId);
    if (state === undefined) return undefined;
    return { path: join(this.dirOf(ceremonyId), 'transcript.jsonl'), size: state.size, bytes: state.bytes };
  }

  /** Waits for the publish under way for this ceremony, if any (its outcome is the publisher's to report). */
  async settle(ceremonyId: string): Promise<void> {
    await this.pending.get(ceremonyId)?.catch(() => undefined);
  }

  dirOf(ceremonyId: string): string {
    return join(this.root, ceremonyId);
  }

  async publish(ceremonyId: string): Promise<void> {
    // One snapshot: entries up to the newest checkpoint, so the published files always agree with each other.
    const head = await q.selectLatestCheckpoint(this.db, ceremonyId);
    const size = head?.tree_size ?? 0;
    const dir = this.dirOf(ceremonyId);
    const known = this.published.get(ceremonyId);
    const state = known ?? (await this.recover(ceremonyId, dir));
    this.published.set(ceremonyId, state);
    const cosigned = await this.countCosignatures(ceremonyId, state);
    // Nothing appended or cosigned since the last publish (a queue tick, a heartbeat): the files are current.
    if (known && state.size === size && cosigned.changed.length === 0) return;

    const from = state.size;
    const file = join(dir, 'transcript.jsonl');
    while (state.size < size) {
      const batch = await q.selectEntries(
        this.db,
        ceremonyId,
        state.size,
        Math.min(ENTRY_BATCH, size - state.size),
      );
      if (batch.length === 0) break;
      await appendLines(
        file,
        batch.map((e) => e.line),
      );
      state.size += batch.length;
      state.bytes += batch.reduce((n, e) => n + Buffer.byteLength(e.line) + 1, 0);
    }
    for (const c of await q.selectCheckpointsSince(this.db, ceremonyId, from)) {
      if (c.tree_size > size) break;
      await writeFileAtomic(join(dir, 'checkpoints', String(c.tree_size)), c.note, 0o644, { sync: false });
    }
    for (const at of cosigned.changed) {
      const note = await cosignedCheckpoint(this.db, ceremonyId, at);
      if (note !== undefined) await writeFileAtomic(join(dir, 'checkpoints', String(at)), note);
    }
    state.cosigned = cosigned.counts;
    const newest = head && (await cosignedCheckpoint(this.db, ceremonyId, head.tree_size));
    if (newest !== undefined) await writeFileAtomic(join(dir, 'checkpoint'), newest);
    await this.publishOutputs(ceremonyId, dir, state);
  }

  /** Reads what a previous run left: keeps the transcript lines that match the database, writes missing files. */
  private async recover(ceremonyId: string, dir: string): Promise<Published> {
    await mkdir(join(dir, 'checkpoints'), { recursive: true });
    await writeFileAtomic(join(dir, 'log-key.pub'), `${this.signer.verifierKey}\n`);
    const size = await repairLines(join(dir, 'transcript.jsonl'), async (from, limit) =>
      (await q.selectEntries(this.db, ceremonyId, from, limit)).map((e) => e.line),
    );
    // Checkpoints a crash kept from being written are filled in; the others are immutable once written.
    const present = new Set(await readdir(join(dir, 'checkpoints')));
    for (const c of await q.selectCheckpointsSince(this.db, ceremonyId, 0)) {
      if (c.tree_size > size) break;
      if (!present.has(String(c.tree_size)))
        await writeFileAtomic(join(dir, 'checkpoints', String(c.tree_size)), c.note, 0o644, { sync: false });
    }
    const bytes = size === 0 ? 0 : (await stat(join(dir, 'transcript.jsonl'))).size;
    // Empty counts: every cosigned checkpoint is rewritten once with the cosignatures the database holds.
    return { size, bytes, cosigned: new Map(), outputs: new Set() };
  }

  /** Cosignature counts per tree size, and the sizes whose count moved since the files were written. */
  private async countCosignatures(ceremonyId: string, state: Published) {
    const rows = await this.db.query<{ tree_size: number; n: number }>(
      'SELECT tree_size, count(*)::int AS n FROM cosignatures WHERE ceremony_id = $1 GROUP BY tree_size',
      [ceremonyId],
    );
    const counts = new Map(rows.map((r) => [r.tree_size, r.n]));
    const changed = rows.filter((r) => state.cosigned.get(r.tree_size) !== r.n).map((r) => r.tree_size);
    return { counts, changed };
  }

  private async publishOutputs(ceremonyId: string, dir: string, state: Published): Promise<void> {
    const circuits = await this.db.query<{
      name: string;
      final_zkey_sha256: string | null;
      verification_key_sha256: string | null;
      verifier_sol_sha256: string | null;
      r1cs_sha256: string;
      ptau_sha256: string;
    }>(
      `SELECT name, final_zkey_sha256, verification_key_sha256, verifier_sol_sha256, r1cs_sha256, ptau_sha256
       FROM circuits
       WHERE ceremony_id = $1 AND verification_key_sha256 IS NOT NULL`,
      [ceremonyId],
    );
    for (const c of circuits) {
      if (!c.final_zkey_sha256 || !c.verification_key_sha256 || !c.verifier_sol_sha256) continue;
      if (state.outputs.has(c.final_zkey_sha256)) continue;
      const out = join(dir, c.name);
      await mkdir(out, { recursive: true });
      await copyFileAtomic(
        await this.store.localPath(c.verification_key_sha256),
        join(out, 'verification_key.json'),
      );
      await copyFileAtomic(await this.store.localPath(c.verifier_sol_sha256), join(out, 'verifier.sol'));
      // What `ceremony verify --dir` needs besides the log: the final zkey and the r1cs and ptau it is checked against.
      for (const [name, sha256] of [
        ['final.zkey', c.final_zkey_sha256],
        ['circuit.r1cs', c.r1cs_sha256],
        ['circuit.ptau', c.ptau_sha256],
      ] as const) {
        const target = join(out, name);
        if (!(await exists(target))) await copyFileAtomic(await this.store.localPath(sha256), target);
      }
      await writeFileAtomic(join(out, 'final.zkey.sha256'), `${c.final_zkey_sha256}\n`);
      state.outputs.add(c.final_zkey_sha256);
    }
  }

  private scheduleRetry(ceremonyId: string): void {
    if (this.stopped || this.retries.has(ceremonyId)) return;
    const previous = this.backoff.get(ceremonyId);
    const delayMs = previous === undefined ? RETRY_FIRST_MS : Math.min(previous * 2, RETRY_MAX_MS);
    this.backoff.set(ceremonyId, delayMs);
    const timer = setTimeout(() => {
      this.retries.delete(ceremonyId);
      this.schedule(ceremonyId);
    }, delayMs);
    timer.unref();
    this.retries.set(ceremonyId, timer);
  }

  private clearRetry(ceremonyId: string, succeeded = false): void {
    clearTimeout(this.retries.get(ceremonyId));
    this.retries.delete(ceremonyId);
    if (succeeded) this.backoff.delete(ceremonyId);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
