// What a witness keeps on disk: per log origin, the latest checkpoint it cosigned (a note with the log's signatures
// and its own), and an append-only evidence file of refused requests that carried a valid log signature.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncPath, writeFileAtomic } from '../storage/atomic-write.js';
import { isAlive } from '../storage/data-dir-lock.js';
import { EMPTY_ROOT } from '../transcript/merkle.js';
import { parseCheckpoint, parseNote } from '../transcript/note.js';
import type { HeldCheckpoint } from './judge.js';

export function originHash(origin: string): string {
  return createHash('sha256').update(origin).digest('hex');
}

export interface Evidence {
  time: string;
  status: number;
  reason: string;
  /** The request body as received: the log's signed checkpoint and the proof it came with. */
  request: string;
}

export class WitnessStore {
  readonly #dir: string;
  readonly #maxEvidenceBytes: number;
  readonly #queues = new Map<string, Promise<unknown>>();

  private constructor(dir: string, maxEvidenceBytes: number) {
    this.#dir = dir;
    this.#maxEvidenceBytes = maxEvidenceBytes;
  }

  /**
   * Opens a data dir for one process only (a lock file holding the pid): two witness processes on one dir could
   * each check the old size before the other stored, and cosign two inconsistent checkpoints.
   */
  static async open(dir: string, options: { maxEvidenceBytes: number }): Promise<WitnessStore> {
    await mkdir(join(dir, 'checkpoints'), { recursive: true });
    const lock = join(dir, 'lock');
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lock, 'wx');
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(lock, err);
        const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(pid) && pid > 0 && isAlive(pid))
          throw new Error(`witness data dir ${dir} is in use by process ${pid}`);
        await rm(lock, { force: true });
      }
    }
    return new WitnessStore(dir, options.maxEvidenceBytes);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()]);
    await rm(join(this.#dir, 'lock'), { force: true });
  }

  /** Runs `task` with no other task of the same origin in between: the check and the store are one step. */
  withOrigin<T>(origin: string, task: () => Promise<T>): Promise<T> {
    const before = this.#queues.get(origin) ?? Promise.resolve();
    const run = before.then(task, task);
    const settled = run.catch(() => undefined);
    this.#queues.set(origin, settled);
    void settled.then(() => {
      if (this.#queues.get(origin) === settled) this.#queues.delete(origin);
    });
    return run;
  }

  /** The latest cosigned note of `origin`, or undefined when the witness never cosigned it. */
  async readNote(origin: string): Promise<string | undefined> {
    return readFile(this.#path(origin), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
  }

  /** The latest cosigned note of the origin whose SHA-256 is `hash` (lowercase hex), as monitors ask for it. */
  async readNoteByHash(hash: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
    return readFile(join(this.#dir, 'checkpoints', hash), 'utf8').catch(() => undefined);
  }

  async held(origin: string): Promise<HeldCheckpoint> {
    const note = await this.readNote(origin);
    if (note === undefined) return { size: 0, rootHash: EMPTY_ROOT };
    const checkpoint = parseCheckpoint(parseNote(note).body);
    if (checkpoint.origin !== origin)
      throw new Error(`witness store: ${this.#path(origin)} holds another origin`);
    return { size: checkpoint.size, rootHash: checkpoint.rootHash };
  }

  /** Stores `note` as the origin's latest, durably (temp file, fsync, rename, fsync of the directory). */
  async storeNote(origin: string, note: string): Promise<void> {
    await writeFileAtomic(this.#path(origin), note, 0o644);
    await fsyncPath(join(this.#dir, 'checkpoints'));
  }

  /** Appends one refused request to the evidence file; past its bound the witness keeps the oldest evidence. */
  async recordEvidence(evidence: Evidence): Promise<boolean> {
    const path = join(this.#dir, 'evidence.jsonl');
    const line = `${JSON.stringify(evidence)}\n`;
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (size + Buffer.byteLength(line) > this.#maxEvidenceBytes) return false;
    await appendFile(path, line, { mode: 0o644 });
    return true;
  }

  async readEvidence(): Promise<string> {
    return readFile(join(this.#dir, 'evidence.jsonl'), 'utf8').catch(() => '');
  }

  #path(origin: string): string {
    return join(this.#dir, 'checkpoints', originHash(origin));
  }
}

function lockError(lock: string, err: unknown): Error {
  return new Error(`cannot lock witness data dir (${lock}): ${(err as Error).message}`);
}
