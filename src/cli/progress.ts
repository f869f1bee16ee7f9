// Progress on stderr for people at a terminal: byte bars for transfers, a spinner for work of unknown length.
import type { CliOutput } from './output.js';

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 24;
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0)
    throw new RangeError(`formatBytes: expected a non-negative number, got ${bytes}`);
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value} B`;
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${UNITS[unit]}`;
}

/** `m:ss`, or `h:mm:ss` from one hour on. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`formatDuration: expected a non-negative number, got ${ms}`);
  const total = Math.floor(ms / 1000);
  const seconds = String(total % 60).padStart(2, '0');
  const minutes = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

export interface TransferState {
  label: string;
  doneBytes: number;
  /** Undefined when the size is not known (no Content-Length). */
  totalBytes: number | undefined;
  elapsedMs: number;
}

/** One line: label, bar, percentage, bytes done of total, average rate; cut to `width` characters. */
export function formatTransferLine(state: TransferState, width: number): string {
  if (state.doneBytes < 0 || state.elapsedMs < 0)
    throw new RangeError('formatTransferLine: negative progress');
  const rate = state.elapsedMs > 0 ? (state.doneBytes * 1000) / state.elapsedMs : 0;
  const rateText = `${formatBytes(rate)}/s`;
  let line: string;
  if (state.totalBytes !== undefined && state.totalBytes > 0) {
    const fraction = Math.min(1, state.doneBytes / state.totalBytes);
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    line = `${state.label} ${bar} ${percent}  ${formatBytes(state.doneBytes)} / ${formatBytes(state.totalBytes)}  ${rateText}`;
  } else {
    line = `${state.label}  ${formatBytes(state.doneBytes)}  ${rateText}`;
  }
  return truncate(line, width);
}

/** One line: spinner frame, label, elapsed time; cut to `width` characters. */
export function formatSpinnerLine(label: string, elapsedMs: number, frame: number, width: number): string {
  if (!Number.isInteger(frame) || frame < 0) throw new RangeError(`formatSpinnerLine: bad frame ${frame}`);
  const glyph = SPINNER_FRAMES[frame % SPINNER_FRAMES.length];
  return truncate(`${glyph} ${label} ${formatDuration(elapsedMs)}`, width);
}

function truncate(line: string, width: number): string {
  // Leave the last column free: writing into it makes some terminals wrap and break the \r redraw.
  const max = Math.max(10, width - 1);
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

export interface TransferBar {
  update(doneBytes: number, totalBytes?: number): void;
  finish(): void;
}

export interface Spinner {
  setLabel(label: string): void;
  stop(): void;
}

export interface Progress {
  transfer(label: string, totalBytes?: number): TransferBar;
  spinner(label: string): Spinner;
}

const noopProgress: Progress = {
  transfer: () => ({ update: () => {}, finish: () => {} }),
  spinner: () => ({ setLabel: () => {}, stop: () => {} }),
};

/** Bars and spinners on a terminal; plain lines into a log or pipe (`plainProgress`); else nothing. */
export function createProgress(output: CliOutput): Progress {
  if (!output.interactive) return output.plainProgress === true ? createPlainProgress(output) : noopProgress;
  const draw = (line: string) => output.writeStderr(`\r${line}\x1b[K`);
  const clear = () => output.writeStderr('\r\x1b[K');
  return {
    transfer(label, totalBytes) {
      const started = Date.now();
      let lastDraw = 0;
      let total = totalBytes;
      let done = 0;
      const render = () => {
        lastDraw = Date.now();
        draw(
          formatTransferLine(
            { label, doneBytes: done, totalBytes: total, elapsedMs: lastDraw - started },
            output.columns,
          ),
        );
      };
      return {
        update(doneBytes, newTotal) {
          done = doneBytes;
          if (newTotal !== undefined) total = newTotal;
          if (Date.now() - lastDraw >= REDRAW_INTERVAL_MS) render();
        },
        finish: clear,
      };
    },
    spinner(initialLabel) {
      const started = Date.now();
      let label = initialLabel;
      let frame = 0;
      const render = () => draw(formatSpinnerLine(label, Date.now() - started, frame++, output.columns));
      render();
      const timer = setInterval(render, REDRAW_INTERVAL_MS);
      timer.unref();
      return {
        setLabel(next) {
          label = next;
        },
        stop() {
          clearInterval(timer);
          clear();
        },
      };
    },
  };
}

/**
 * Progress for a log file or CI: a line when a step starts, one at each tenth of a transfer, and one at the end with
 * the time taken; never a carriage return.
 */
export function createPlainProgress(output: CliOutput): Progress {
  const line = (text: string) => output.writeStderr(`${text}\n`);
  return {
    transfer(label, totalBytes) {
      const started = Date.now();
      let total = totalBytes;
      let done = 0;
      let shownTenths = 0;
      line(total === undefined ? `${label}…` : `${label}: ${formatBytes(total)}…`);
      return {
        update(doneBytes, newTotal) {
          done = doneBytes;
          if (newTotal !== undefined) total = newTotal;
          if (total === undefined || total <= 0) return;
          const tenths = Math.min(9, Math.floor((done / total) * 10));
          if (tenths > shownTenths) {
            shownTenths = tenths;
            line(`${label}: ${tenths * 10}% (${formatBytes(done)} / ${formatBytes(total)})`);
          }
        },
        finish() {
          line(`${label}: ${formatBytes(done)} in ${formatDuration(Date.now() - started)}`);
        },
      };
    },
    spinner(initialLabel) {
      const started = Date.now();
      let label = initialLabel;
      line(label);
      return {
        setLabel(next) {
          label = next;
        },
        stop() {
          line(`${label} ${formatDuration(Date.now() - started)}`);
        },
      };
    },
  };
}
