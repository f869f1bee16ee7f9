// Resumable contribution uploads: the one owner of a turn's cut upload (docs/PROTOCOL.md, "Resuming an upload").
// Glossary: a *partial* is the file holding the bytes of a turn's upload that arrived before its connection was cut;
// its size is the *offset* a participant resumes from. The streamed step check that saw those bytes is *kept* in
// memory with them, so a resumed upload feeds it the rest; a check that cannot be kept is rebuilt from the partial.
import { createReadStream } from 'node:fs';
import { open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { UploadTap } from '../ceremony/streamed-step.js';

/** Bytes the streamed check took that the disk may not hold yet (the writer's buffers) and that a cut keeps. */
export const KEPT_TAIL_BYTES = 4 * 1024 * 1024;

interface InFlight {
  cut(): void;
  done: Promise<unknown>;
}

interface Kept {
  tap: UploadTap;
  /** Bytes the check has taken: equal to the partial's size once the cut is settled. */
  taken: number;
}

/** The last `limit` bytes of a stream, for the few the disk did not get before a cut. */
export class TailKeeper {
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  /** `taken` starts at the offset the stream resumes from. */
  constructor(
    public taken: number,
    private readonly limit = KEPT_TAIL_BYTES,
  ) {}

  add(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.taken += chunk.length;
    while (this.chunks.length > 1 && this.bytes - (this.chunks[0]?.length ?? 0) >= this.limit) {
      this.bytes -= this.chunks.shift()?.length ?? 0;
    }
  }

  /** The last `count` bytes taken, or undefined when fewer are kept. */
  last(count: number): Buffer | undefined {
    if (count > this.bytes) return undefined;
    return Buffer.concat(this.chunks).subarray(this.bytes - count);
  }
}

export class PartialUploads {
  readonly dir: string;
  // Every upload of a turn this process is serving, from before it claims the turn: a resume can cut one still waiting
  // for its claim, and a second fresh upload refused UPLOAD_IN_PROGRESS does not hide the first.
  private readonly inFlight = new Map<number, Set<InFlight>>();
  private readonly kept = new Map<number, Kept>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'partial');
  }

  pathOf(turnId: number): string {
    if (!Number.isSafeInteger(turnId) || turnId < 0)
      throw new RangeError(`PartialUploads.pathOf: turnId must be a non-negative integer, got ${turnId}`);
    return join(this.dir, `turn-${turnId}.zkey`);
  }

  /**
   * Waits (at most `ms`) for this process's upload of the turn still streaming to end: a participant asking where
   * to resume has usually just lost that connection, and the server learns of it a moment later.
   */
  async settle(turnId: number, ms: number): Promise<void> {
    const running = this.inFlight.get(turnId);
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    const ended = Promise.all([...running].map((r) => r.done.catch(() => undefined)));
    await Promise.race([ended, late]).finally(() => clearTimeout(timer));
  }

  /** Bytes held for the turn's cut upload (0 when none). */
  async offsetOf(turnId: number): Promise<number> {
    const info = await stat(this.pathOf(turnId)).catch(() => undefined);
    return info?.size ?? 0;
  }

  /** Cuts this process's upload still streaming for the turn (its participant came back on a new connection). */
  async cutInFlight(turnId: number): Promise<boolean> {
    const running = [...(this.inFlight.get(turnId) ?? [])];
    for (const r of running) r.cut();
    await Promise.all(running.map((r) => r.done.catch(() => undefined)));
    return running.length > 0;
  }

  track(turnId: number, running: InFlight): void {
    let uploads = this.inFlight.get(turnId);
    if (!uploads) {
      uploads = new Set();
      this.inFlight.set(turnId, uploads);
    }
    uploads.add(running);
    const forget = () => {
      const now = this.inFlight.get(turnId);
      now?.delete(running);
      if (now?.size === 0) this.inFlight.delete(turnId);
    };
    // The caller awaits `done` and handles its failure; this branch only cleans up.
    running.done.then(forget, forget);
  }

  /**
   * Settles a cut: the bytes the check took but the disk did not get are appended from the kept tail, so the
   * partial and the kept check end at the same byte; when that is not possible the check is dropped.
   */
  async keepCut(turnId: number, tap: UploadTap, tail: TailKeeper): Promise<void> {
    const path = this.pathOf(turnId);
    const onDisk = await this.offsetOf(turnId);
    const missing = tail.taken - onDisk;
    const bytes = missing >= 0 ? tail.last(missing) : undefined;
    if (bytes === undefined) {
      tap.drop();
      return;
    }
    const handle = await open(path, 'a');
    try {
      if (bytes.length > 0) await handle.write(bytes);
      // The offset a participant is told must survive a crash of this machine.
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.forgetCheck(turnId);
    this.kept.set(turnId, { tap, taken: tail.taken });
  }

  /** The kept check when it ends exactly at `offset`; taken out of the keeping either way. */
  takeCheck(turnId: number, offset: number): UploadTap | undefined {
    const kept = this.kept.get(turnId);
    this.kept.delete(turnId);
    if (kept === undefined) return undefined;
    if (kept.taken === offset) return kept.tap;
    kept.tap.drop();
    return undefined;
  }

  /** Feeds a fresh check the partial's first `offset` bytes from disk (the kept one was lost or ended elsewhere). */
  async replayInto(turnId: number, tap: UploadTap, offset: number): Promise<void> {
    if (offset === 0) return;
    for await (const chunk of createReadStream(this.pathOf(turnId), { end: offset - 1 })) {
      await tap.onChunk(chunk as Buffer);
    }
  }

  /** Cuts the partial back to `offset` bytes (a participant resuming from earlier than the server holds). */
  async truncateTo(turnId: number, offset: number): Promise<void> {
    await truncate(this.pathOf(turnId), offset);
  }

  forgetCheck(turnId: number): void {
    this.kept.get(turnId)?.tap.drop();
    this.kept.delete(turnId);
  }

  async drop(turnId: number): Promise<void> {
    this.forgetCheck(turnId);
    await rm(this.pathOf(turnId), { force: true });
  }

  /** Drops the partials (and kept checks) of turns no longer active, except those streaming now; returns how many. */
  async dropEnded(isActive: (turnIds: number[]) => Promise<Set<number>>): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const turns = names
      .map((name) => /^turn-(\d+)\.zkey$/.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number);
    const candidates = [...new Set([...turns, ...this.kept.keys()])].filter((id) => !this.inFlight.has(id));
    if (candidates.length === 0) return 0;
    const active = await isActive(candidates);
    let dropped = 0;
    for (const id of candidates) {
      if (active.has(id)) continue;
      await this.drop(id);
      dropped += 1;
    }
    return dropped;
  }
}
