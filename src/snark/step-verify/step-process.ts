// Entry point of the long-lived verifier child process (forked by step-service.ts). It holds the prepared zkey_prev
// sides — and so the secret scalars, which never leave it — and runs the streaming checks, so neither the curve's
// worker threads nor the pairings ever stall the server's event loop.
import { CeremonyError } from '../../errors.js';
import { type PreparedStep, prepareStep, type StepCheck, startStepCheck } from './step-verifier.js';

export type StepRequest =
  | { seq: number; op: 'prepare'; key: string; path: string }
  | { seq: number; op: 'begin'; id: string; key: string; path: string; waitMs: number }
  | { seq: number; op: 'push'; id: string; chunk: Uint8Array }
  | { seq: number; op: 'finish'; id: string }
  | { seq: number; op: 'drop'; id: string };

export type StepReply =
  | { seq: number; ok: true; result?: unknown }
  | { seq: number; ok: false; code?: string; error: string };

const prepared = new Map<string, Promise<PreparedStep>>();
const checks = new Map<string, StepCheck>();

// A preparation failure is remembered only until the next request for that key.
function preparationOf(key: string, path: string): Promise<PreparedStep> {
  let step = prepared.get(key);
  if (!step) {
    step = prepareStep(path);
    step.catch(() => prepared.delete(key));
    prepared.set(key, step);
  }
  return step;
}

async function perform(request: StepRequest): Promise<unknown> {
  switch (request.op) {
    case 'prepare':
      await preparationOf(request.key, request.path);
      return undefined;
    case 'begin': {
      const step = await withinTime(preparationOf(request.key, request.path), request.waitMs);
      // Single use: the next verification on this zkey_prev gets fresh scalars.
      prepared.delete(request.key);
      checks.set(request.id, startStepCheck(step));
      return undefined;
    }
    case 'push': {
      const check = checks.get(request.id);
      if (!check) throw new Error(`no step check ${request.id}`);
      await check.push(request.chunk);
      return check.failure;
    }
    case 'finish': {
      const check = checks.get(request.id);
      if (!check) throw new Error(`no step check ${request.id}`);
      checks.delete(request.id);
      const verdict = await check.finish();
      return verdict.ok ? { ok: true, contributionHash: verdict.contribution.contributionHash } : verdict;
    }
    case 'drop':
      checks.delete(request.id);
      return undefined;
  }
}

// An upload does not wait long for a preparation still running: it is verified by the job instead.
function withinTime<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`zkey_prev is not prepared after ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

async function handle(request: StepRequest): Promise<void> {
  let reply: StepReply;
  try {
    reply = { seq: request.seq, ok: true, result: await perform(request) };
  } catch (err) {
    const code = err instanceof CeremonyError ? err.code : undefined;
    reply = {
      seq: request.seq,
      ok: false,
      error: (err as Error).message ?? String(err),
      ...(code ? { code } : {}),
    };
  }
  process.send?.(reply);
}

if (process.send) {
  process.on('message', (message) => void handle(message as StepRequest));
  process.once('disconnect', () => process.exit(0));
}
