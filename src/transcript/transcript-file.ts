// transcript.jsonl on disk: appended to, never rewritten, and checked against the database after a start.
import { open, readFile } from 'node:fs/promises';

/** Appends whole lines and fsyncs: a crash mid-write leaves at most a torn last line, which `repairLines` cuts. */
export async function appendLines(path: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const handle = await open(path, 'a', 0o644);
  try {
    await handle.write(lines.map((l) => `${l}\n`).join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Keeps the longest prefix of the file's lines that equals the database's (`fetch(from, limit)` gives the truth)
 * and cuts the rest: a torn last line, lines the database never committed, anything not its own. Returns how many
 * lines remain.
 */
export async function repairLines(
  path: string,
  fetch: (from: number, limit: number) => Promise<string[]>,
  batch = 5000,
): Promise<number> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const lines = complete === '' ? [] : complete.slice(0, -1).split('\n');
  let kept = 0;
  let keptBytes = 0;
  outer: while (kept < lines.length) {
    const truth = await fetch(kept, Math.min(batch, lines.length - kept));
    if (truth.length === 0) break;
    for (const line of truth) {
      if (lines[kept] !== line) break outer;
      keptBytes += Buffer.byteLength(line) + 1;
      kept += 1;
    }
  }
  if (keptBytes !== Buffer.byteLength(text)) {
    const handle = await open(path, 'r+');
    try {
      await handle.truncate(keptBytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return kept;
}
