import { describe, expect, it } from 'vitest';
import { createMemoryOutput } from '../../src/cli/output.js';
import {
  createProgress,
  formatBytes,
  formatDuration,
  formatSpinnerLine,
  formatTransferLine,
} from '../../src/cli/progress.js';

describe('formatBytes', () => {
  it('uses binary units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(32_400_000)).toBe('30.9 MiB');
    expect(formatBytes(300 * 1024 ** 3)).toBe('300 GiB');
  });

  it('rejects negative and non-finite sizes', () => {
    expect(() => formatBytes(-1)).toThrow(/formatBytes/);
    expect(() => formatBytes(Number.NaN)).toThrow(/formatBytes/);
  });
});

describe('formatDuration', () => {
  it('prints minutes and seconds, and hours from one hour on', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65_400)).toBe('1:05');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });
});

describe('formatTransferLine', () => {
  it('shows a bar, the percentage, bytes done of total and the average rate', () => {
    const line = formatTransferLine(
      { label: 'download main #3', doneBytes: 512 * 1024, totalBytes: 1024 * 1024, elapsedMs: 2000 },
      200,
    );
    expect(line).toBe(
      `download main #3 [${'#'.repeat(12)}${'.'.repeat(12)}]  50%  512 KiB / 1.00 MiB  256 KiB/s`,
    );
  });

  it('caps the bar at 100% and shows only bytes and rate when the size is unknown', () => {
    const full = formatTransferLine({ label: 'x', doneBytes: 10, totalBytes: 5, elapsedMs: 0 }, 200);
    expect(full).toContain(`[${'#'.repeat(24)}] 100%`);
    expect(full).toContain('0 B/s');
    const unknown = formatTransferLine(
      { label: 'upload', doneBytes: 2048, totalBytes: undefined, elapsedMs: 1000 },
      200,
    );
    expect(unknown).toBe('upload  2.00 KiB  2.00 KiB/s');
  });

  it('never fills the last terminal column', () => {
    const line = formatTransferLine(
      { label: 'a'.repeat(100), doneBytes: 1, totalBytes: 2, elapsedMs: 1 },
      40,
    );
    expect(line).toHaveLength(39);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('formatSpinnerLine', () => {
  it('cycles through the frames and shows the elapsed time', () => {
    expect(formatSpinnerLine('contributing…', 12_000, 0, 80)).toBe('⠋ contributing… 0:12');
    expect(formatSpinnerLine('contributing…', 12_000, 10, 80)).toBe('⠋ contributing… 0:12');
    expect(formatSpinnerLine('waiting', 61_000, 1, 80)).toBe('⠙ waiting 1:01');
  });
});

describe('createProgress', () => {
  it('draws nothing into an output that asks for no progress (memory, --json)', () => {
    const output = createMemoryOutput();
    const progress = createProgress(output);
    const bar = progress.transfer('download', 100);
    bar.update(50);
    bar.finish();
    progress.spinner('working').stop();
    expect(output.stderr()).toBe('');
    expect(output.stdout()).toBe('');
  });

  it('draws on stderr only when interactive', () => {
    const memory = createMemoryOutput();
    const output = { ...memory, interactive: true };
    const progress = createProgress(output);
    const bar = progress.transfer('download', 100);
    bar.update(50);
    bar.finish();
    expect(memory.stdout()).toBe('');
    expect(memory.stderr()).toContain('download [');
    expect(memory.stderr().endsWith('\r\x1b[K')).toBe(true);
  });

  it('writes plain lines into a log or pipe: start, each tenth of a transfer, the end with its time', () => {
    const memory = createMemoryOutput();
    const progress = createProgress({ ...memory, plainProgress: true });
    const bar = progress.transfer('download main #3', 1000);
    for (let done = 0; done <= 1000; done += 50) bar.update(done);
    bar.finish();
    const spinner = progress.spinner('finalizing settlement…');
    spinner.stop();
    const lines = memory.stderr().trimEnd().split('\n');
    expect(lines[0]).toBe('download main #3: 1000 B…');
    expect(lines.slice(1, 10)).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((t) => `download main #3: ${t * 10}% (${t * 100} B / 1000 B)`),
    );
    expect(lines[10]).toMatch(/^download main #3: 1000 B in 0:0\d$/);
    expect(lines.slice(11)).toEqual([
      'finalizing settlement…',
      expect.stringMatching(/^finalizing settlement… 0:0\d$/),
    ]);
    expect(memory.stderr()).not.toContain('\r');
    expect(memory.stdout()).toBe('');
  });
});
