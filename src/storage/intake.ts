// The guards every streamed write passes: free-space reserve before a byte is written, a stall timer and a
// deadline while it streams, and disk-full turned into a catalogue error.
import { statfs } from 'node:fs/promises';
import { CeremonyError } from '../errors.js';

export interface IntakeLimits {
  maxBytes: number;
  /** The stream is cut when no byte arrives for this long. */
  idleMs: number;
  /** The stream is cut at this instant whatever its pace (e.g. the end of a turn). */
  deadline?: Date | undefined;
  /** The announced size, when known: refused at once if it would eat into the reserve. */
  expectedBytes?: number | undefined;
}

// setTimeout holds at most a signed 32-bit count of milliseconds; later deadlines are re-armed when they come near.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Free bytes an unprivileged writer may still use on the file system holding `dir`. */
export async function measureFreeBytes(dir: string): Promise<number> {
  const fs = await statfs(dir);
  return fs.bavail * fs.bsize;
}

/** Refuses a write that would leave less than `reserveBytes` free under `dir`. */
export async function requireFreeSpace(dir: string, reserveBytes: number, expectedBytes = 0): Promise<void> {
  const free = await measureFreeBytes(dir);
  if (free - expectedBytes < reserveBytes) {
    throw new CeremonyError(
      'INSUFFICIENT_STORAGE',
      `the server is short of disk space (${free} bytes free, ${reserveBytes} kept in reserve); try again later`,
    );
  }
}

/** Maps a disk-full failure to the catalogue; any other error passes through. */
export function describeWriteError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CeremonyError(
      'INSUFFICIENT_STORAGE',
      'the server ran out of disk space while storing the upload',
    );
  }
  return err;
}

/**
 * Aborts `controller` when the stream stalls for `idleMs` or the deadline passes; `touch()` on every chunk.
 * `stop()` must be called when the stream ends.
 */
export function armWatchdog(controller: AbortController, idleMs: number, deadline: Date | undefined) {
  let idle: NodeJS.Timeout | undefined;
  let late: NodeJS.Timeout | undefined;
  const abort = (err: CeremonyError) => {
    if (!controller.signal.aborted) controller.abort(err);
  };
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => abort(new CeremonyError('UPLOAD_TIMEOUT', `no data arrived for ${Math.round(idleMs / 1000)} s`)),
      idleMs,
    );
  };
  const armDeadline = () => {
    if (deadline === undefined) return;
    const left = deadline.getTime() - Date.now();
    if (left <= 0) {
      abort(new CeremonyError('UPLOAD_TIMEOUT', 'the upload did not finish before its deadline'));
      return;
    }
    late = setTimeout(armDeadline, Math.min(left, MAX_TIMER_MS));
  };
  armIdle();
  armDeadline();
  return {
    touch: armIdle,
    stop: () => {
      clearTimeout(idle);
      clearTimeout(late);
    },
  };
}
