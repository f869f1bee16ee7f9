// Participants as people run them: `ceremony contribute` in their own directory, run again when it fails
// (as its messages advise) until it succeeds or a participant gives up.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/ceremony.js', import.meta.url));

export interface ParticipantRun {
  name: string;
  dir: string;
  /** How many times `contribute` was started. */
  attempts: number;
  /** The last line each failed attempt printed on stderr. */
  failures: string[];
  done: Promise<void>;
}

export interface ContributeTarget {
  server: string;
  ceremony: string;
  keyFile: string;
  dir: string;
  name: string;
  maxAttempts: number;
  /** Told of each failed attempt's last stderr line, as it happens. */
  onFailure: (line: string) => void;
  /** Between attempts; a person would wait a moment too. */
  retryDelayMs: number;
  stopped: () => boolean;
}

function runOnce(target: ContributeTarget): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [bin, 'contribute', '--server', target.server, '--key', target.keyFile, '--ceremony', target.ceremony],
      { cwd: target.dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

export function startParticipant(target: ContributeTarget): ParticipantRun {
  const run: ParticipantRun = {
    name: target.name,
    dir: target.dir,
    attempts: 0,
    failures: [],
    done: Promise.resolve(),
  };
  run.done = (async () => {
    for (;;) {
      if (target.stopped()) throw new Error(`${target.name}: stopped before finishing`);
      run.attempts += 1;
      const { code, stderr } = await runOnce(target);
      if (code === 0) return;
      const line = stderr.trim().split('\n').at(-1) ?? `exit ${code}`;
      run.failures.push(line);
      target.onFailure(line);
      if (run.attempts >= target.maxAttempts) {
        throw new Error(`${target.name} gave up after ${run.attempts} attempts: ${run.failures.join(' | ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, target.retryDelayMs));
    }
  })();
  run.done.catch(() => undefined);
  return run;
}

export interface SavedReceipt {
  path: string;
  circuit: string;
  index: number;
  seq: number;
  entry: string;
  checkpoint: string;
}

/** Every receipt a participant's `contribute` runs saved under `<dir>/receipts`. */
export async function readReceipts(dir: string): Promise<SavedReceipt[]> {
  const receiptDir = join(dir, 'receipts');
  const names = await readdir(receiptDir).catch(() => [] as string[]);
  return Promise.all(
    names
      .filter((n) => n.endsWith('.json'))
      .map(async (n) => {
        const path = join(receiptDir, n);
        return { path, ...(JSON.parse(await readFile(path, 'utf8')) as Omit<SavedReceipt, 'path'>) };
      }),
  );
}

/** Each participant's saved receipts, by name: a run that ended well must have left one per circuit. */
export function receiptsOf(
  runs: readonly ParticipantRun[],
): Promise<{ name: string; receipts: SavedReceipt[] }[]> {
  return Promise.all(runs.map(async (r) => ({ name: r.name, receipts: await readReceipts(r.dir) })));
}

export interface Crowd {
  runs: ParticipantRun[];
  /** Settles when every participant finished (or gave up); never rejects unhandled. */
  done: Promise<void>;
  contributing: () => boolean;
}

/** Starts every participant in its own directory under `work`, reporting failures through `note`. */
export async function startCrowd(
  work: string,
  participants: readonly { participantId: string; name: string; keyFile: string }[],
  target: Pick<ContributeTarget, 'server' | 'ceremony' | 'maxAttempts' | 'retryDelayMs' | 'stopped'>,
  note: (line: string) => void,
): Promise<Crowd> {
  const runs: ParticipantRun[] = [];
  for (const p of participants) {
    const dir = join(work, `participant-${p.participantId}`);
    await mkdir(dir);
    runs.push(
      startParticipant({
        ...target,
        keyFile: p.keyFile,
        dir,
        name: p.name,
        onFailure: (line) => note(`${p.name}: contribute failed: ${line}`),
      }),
    );
  }
  let contributing = true;
  const done = Promise.all(runs.map((r) => r.done)).then(
    () => {
      contributing = false;
    },
    (err: unknown) => {
      contributing = false;
      throw err;
    },
  );
  done.catch(() => undefined);
  return { runs, done, contributing: () => contributing };
}
