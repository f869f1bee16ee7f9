// The server's handle on the verifier child process (step-process.ts): prepare zkey_prev's side ahead of the next
// upload, then feed an upload's chunks as they arrive and get the verdict right after the last byte. The child is
// started on first use and again after it dies; a request in flight when it dies fails (the durable job then
// verifies from the file).
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ErrorCode } from '../../errors.js';
import type { StepReply, StepRequest } from './step-process.js';

export type StreamedVerdict =
  | { ok: true; contributionHash: string }
  | { ok: false; code: ErrorCode; message: string };

export interface StreamedStep {
  /** Feeds the next bytes; resolves when the verifier has taken them (back-pressure for the upload). */
  push(chunk: Uint8Array): Promise<void>;
  finish(): Promise<StreamedVerdict>;
  /** Forgets the check (the upload failed). */
  drop(): void;
}

const sourceExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const processPath = fileURLToPath(new URL(`./step-process${sourceExtension}`, import.meta.url));

type Pending = { resolve: (result: unknown) => void; reject: (err: Error) => void };
type Body = StepRequest extends infer R ? (R extends StepRequest ? Omit<R, 'seq'> : never) : never;

export class StepService {
  private child: ChildProcess | undefined;
  private seq = 0;
  private nextCheck = 0;
  private readonly pending = new Map<number, Pending>();

  /** Starts computing zkey_prev's side (keyed by its SHA-256) so it is ready before the next upload begins. */
  prepare(prevSha256: string, prevPath: string): void {
    this.call({ op: 'prepare', key: prevSha256, path: prevPath }).catch(() => {
      // A failed preparation is retried by the next begin(), which reports the error.
    });
  }

  /**
   * A streaming check of an upload on top of zkey_prev; waits at most `waitMs` for a preparation still running
   * (then fails, and the preparation goes on for the next upload).
   */
  async begin(prevSha256: string, prevPath: string, waitMs: number): Promise<StreamedStep> {
    const id = `c${++this.nextCheck}`;
    await this.call({ op: 'begin', id, key: prevSha256, path: prevPath, waitMs });
    return {
      push: async (chunk) => {
        await this.call({ op: 'push', id, chunk });
      },
      finish: async () => {
        const result = (await this.call({ op: 'finish', id })) as StreamedVerdict;
        return result;
      },
      drop: () => {
        this.call({ op: 'drop', id }).catch(() => {});
      },
    };
  }

  /** Ends the child process. */
  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private call(body: Body): Promise<unknown> {
    const child = this.ensureChild();
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      child.send({ ...body, seq } as StepRequest, (err) => {
        if (err) this.settle(seq, undefined, err);
      });
    });
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    const execArgv =
      sourceExtension === '.ts'
        ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
        : [];
    // 'advanced' serialization carries chunks as bytes, not JSON arrays.
    const child = fork(processPath, [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.on('message', (message) => {
      const reply = message as StepReply;
      if (reply.ok) this.settle(reply.seq, reply.result);
      else this.settle(reply.seq, undefined, Object.assign(new Error(reply.error), { code: reply.code }));
    });
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
      for (const seq of [...this.pending.keys()]) {
        this.settle(seq, undefined, new Error('the step verifier process exited'));
      }
    });
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    this.child = child;
    return child;
  }

  private settle(seq: number, result: unknown, err?: Error): void {
    const pending = this.pending.get(seq);
    if (!pending) return;
    this.pending.delete(seq);
    if (err) pending.reject(err);
    else pending.resolve(result);
  }
}
