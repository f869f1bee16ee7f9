// Runs each heavy snarkjs operation in a short-lived child process (job-process.ts): its event-loop stalls,
// worker threads, memory peaks and leaked file handles die with the child, and a timeout or abort can kill it.
// Entropy crosses only the IPC channel, never argv, environment or logs.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CeremonyError } from '../errors.js';
import { checkCircuitInputs } from './circuit-files.js';
import type { JobReply, JobRequest } from './job-process.js';

export {
  checkCircuitInputs,
  type PtauInfo,
  type R1csInfo,
  readPtauInfo,
  readR1csInfo,
  requiredPower,
} from './circuit-files.js';

export interface JobStats {
  /** Wall time from fork to answer. */
  durationMs: number;
  /** Peak resident memory of the child (process.resourceUsage().maxRSS). */
  maxRssBytes: number;
  /** User + system CPU time of the child, its worker threads included. */
  cpuMs: number;
}

export interface JobOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** V8 heap limit of the child (--max-old-space-size), for circuits whose `zkey new` outgrows the default. */
  maxOldSpaceMb?: number;
}

export type JobFailure = 'failed' | 'crashed' | 'timeout' | 'aborted';

/** A snarkjs job that did not produce a result; `failure` tells why. Messages never contain entropy. */
export class SnarkJobError extends Error {
  readonly failure: JobFailure;
  constructor(failure: JobFailure, message: string) {
    super(message);
    this.name = 'SnarkJobError';
    this.failure = failure;
  }
}

export type Verdict = JobStats & { ok: boolean; reason?: string };

export async function createInitialZkey(
  r1csPath: string,
  ptauPath: string,
  outPath: string,
  opts?: JobOptions,
): Promise<JobStats> {
  assertPaths('createInitialZkey', { r1csPath, ptauPath, outPath });
  await checkCircuitInputs(r1csPath, ptauPath);
  return statsOf(await runJob({ op: 'newZKey', r1csPath, ptauPath, outPath }, opts));
}

export async function verifyFromInit(
  initZkeyPath: string,
  ptauPath: string,
  zkeyPath: string,
  opts?: JobOptions,
): Promise<Verdict> {
  assertPaths('verifyFromInit', { initZkeyPath, ptauPath, zkeyPath });
  return toVerdict(await runJob({ op: 'verifyFromInit', initZkeyPath, ptauPath, zkeyPath }, opts));
}

/**
 * The incremental check of one step (src/snark/step-verify) from files, in a child process: what the durable
 * verification job runs when the streamed verdict was lost (a crash between the last byte and the verdict).
 */
export async function verifyStepFromFiles(
  prevZkeyPath: string,
  zkeyPath: string,
  opts?: JobOptions,
): Promise<Verdict & { code?: string; contributionHash?: string }> {
  assertPaths('verifyStepFromFiles', { prevZkeyPath, zkeyPath });
  const job = await runJob({ op: 'verifyStep', prevZkeyPath, zkeyPath }, opts);
  const result = job.result as { ok: boolean; code?: string; reason?: string; contributionHash?: string };
  return result.ok
    ? { ...statsOf(job), ok: true, contributionHash: result.contributionHash }
    : { ...statsOf(job), ok: false, code: result.code, reason: result.reason };
}

export async function verifyFromR1cs(
  r1csPath: string,
  ptauPath: string,
  zkeyPath: string,
  opts?: JobOptions,
): Promise<Verdict> {
  assertPaths('verifyFromR1cs', { r1csPath, ptauPath, zkeyPath });
  return toVerdict(await runJob({ op: 'verifyFromR1cs', r1csPath, ptauPath, zkeyPath }, opts));
}

export async function contribute(
  prevZkeyPath: string,
  outPath: string,
  name: string,
  entropy: string,
  opts?: JobOptions,
): Promise<JobStats & { contributionHash: string }> {
  assertPaths('contribute', { prevZkeyPath, outPath });
  assertName('contribute', name);
  // An empty entropy would make snarkjs prompt on stdin and wait forever.
  if (typeof entropy !== 'string' || entropy.length === 0 || entropy.length > 1 << 20) {
    throw new TypeError('contribute: entropy must be a non-empty string of at most 1 MiB');
  }
  const job = await runJob({ op: 'contribute', prevZkeyPath, outPath, name, entropy }, opts);
  return { ...statsOf(job), contributionHash: expectHex(job.result, 'contribute') };
}

export async function applyBeacon(
  prevZkeyPath: string,
  outPath: string,
  name: string,
  beaconHex: string,
  iterationsExp: number,
  opts?: JobOptions,
): Promise<JobStats & { contributionHash: string }> {
  assertPaths('applyBeacon', { prevZkeyPath, outPath });
  assertName('applyBeacon', name);
  if (typeof beaconHex !== 'string' || !/^(?:[0-9a-fA-F]{2}){1,255}$/.test(beaconHex)) {
    throw new CeremonyError('BAD_REQUEST', 'beacon must be 1 to 255 bytes of hex');
  }
  // snarkjs allows 2^63 SHA-256 iterations, which nobody could verify; 2^32 is already hours.
  if (!Number.isInteger(iterationsExp) || iterationsExp < 10 || iterationsExp > 32) {
    throw new CeremonyError(
      'BAD_REQUEST',
      `beacon iterationsExp must be an integer in 10..32, got ${iterationsExp}`,
    );
  }
  const job = await runJob({ op: 'beacon', prevZkeyPath, outPath, name, beaconHex, iterationsExp }, opts);
  return { ...statsOf(job), contributionHash: expectHex(job.result, 'applyBeacon') };
}

export async function exportVerificationKey(
  zkeyPath: string,
  opts?: JobOptions,
): Promise<JobStats & { verificationKey: unknown }> {
  assertPaths('exportVerificationKey', { zkeyPath });
  const job = await runJob({ op: 'exportVerificationKey', zkeyPath }, opts);
  return { ...statsOf(job), verificationKey: job.result };
}

export async function exportSolidityVerifier(
  zkeyPath: string,
  opts?: JobOptions,
): Promise<JobStats & { solidity: string }> {
  assertPaths('exportSolidityVerifier', { zkeyPath });
  const job = await runJob({ op: 'exportSolidityVerifier', zkeyPath }, opts);
  if (typeof job.result !== 'string')
    throw new SnarkJobError('failed', 'exportSolidityVerifier: no Solidity source');
  return { ...statsOf(job), solidity: job.result };
}

type JobOutcome = JobStats & { result: unknown };

// Under vitest this file is runner.ts and the child needs tsx to load job-process.ts; built code uses .js. The test
// config points CEREMONY_TEST_JOB_MODULE at the built child when dist/ is newer than every source file, which spares
// each of the suite's hundreds of children the half second of CPU tsx takes to compile its imports.
const builtChild = process.env.CEREMONY_TEST_JOB_MODULE;
const sourceExtension = builtChild === undefined && import.meta.url.endsWith('.ts') ? '.ts' : '.js';
let jobModulePath = builtChild ?? fileURLToPath(new URL(`./job-process${sourceExtension}`, import.meta.url));
let jobModuleArgs: string[] = [];

/** The single-file ceremony.mjs forks itself (with `args` that make it the job child) instead of job-process.js. */
export function runJobsFrom(path: string, args: string[]): void {
  jobModulePath = path;
  jobModuleArgs = args;
}

function childExecArgv(opts: JobOptions): string[] {
  const argv: string[] = [];
  if (sourceExtension === '.ts') {
    argv.push('--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href);
  }
  if (opts.maxOldSpaceMb !== undefined) argv.push(`--max-old-space-size=${opts.maxOldSpaceMb}`);
  return argv;
}

function runJob(request: JobRequest, opts: JobOptions = {}): Promise<JobOutcome> {
  assertOptions(opts);
  const { op } = request;
  if (opts.signal?.aborted)
    return Promise.reject(new SnarkJobError('aborted', `${op} was aborted before it started`));
  return new Promise<JobOutcome>((resolve, reject) => {
    const started = performance.now();
    const child = fork(jobModulePath, jobModuleArgs, {
      execArgv: childExecArgv(opts),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
    });
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      action();
    };
    const kill = (failure: JobFailure, message: string) => {
      child.kill('SIGKILL');
      settle(() => reject(new SnarkJobError(failure, message)));
    };
    const onAbort = () => kill('aborted', `${op} was aborted`);
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => kill('timeout', `${op} timed out after ${opts.timeoutMs} ms`), opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (message) => {
      const reply = message as JobReply;
      const durationMs = performance.now() - started;
      // The child exits right after answering; make sure one that hangs on the way out does not linger.
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      settle(() =>
        reply.ok
          ? resolve({ durationMs, maxRssBytes: reply.maxRssBytes, cpuMs: reply.cpuMs, result: reply.result })
          : reject(new SnarkJobError('failed', `${op} failed: ${reply.error}`)),
      );
    });
    child.on('error', (err) => kill('crashed', `${op} could not run: ${err.message}`));
    // 'close' comes after the last IPC message, so a child that answered has already settled by now.
    child.on('close', (code, signal) => {
      const last = stderrTail.trim().split('\n').at(-1) ?? '';
      const detail = last ? `: ${last}` : '';
      settle(() =>
        reject(
          new SnarkJobError(
            'crashed',
            `${op} exited without a result (code ${code}, signal ${signal})${detail}`,
          ),
        ),
      );
    });
    child.send(request);
  });
}

function statsOf(job: JobOutcome): JobStats {
  return { durationMs: job.durationMs, maxRssBytes: job.maxRssBytes, cpuMs: job.cpuMs };
}

function toVerdict(job: JobOutcome): Verdict {
  const result = job.result as { ok: boolean; reason?: string };
  return result.ok ? { ...statsOf(job), ok: true } : { ...statsOf(job), ok: false, reason: result.reason };
}

function expectHex(result: unknown, fn: string): string {
  if (typeof result !== 'string' || !/^[0-9a-f]{128}$/.test(result)) {
    throw new SnarkJobError('failed', `${fn}: snarkjs returned no contribution hash`);
  }
  return result;
}

function assertPaths(fn: string, paths: Record<string, string>): void {
  for (const [name, value] of Object.entries(paths)) {
    if (typeof value !== 'string' || value === '')
      throw new TypeError(`${fn}: ${name} must be a non-empty string`);
  }
}

function assertName(fn: string, name: string): void {
  if (typeof name !== 'string' || name.length > 64) {
    throw new TypeError(
      `${fn}: name must be a string of at most 64 characters (snarkjs truncates longer names)`,
    );
  }
}

function assertOptions(opts: JobOptions): void {
  if (opts.timeoutMs !== undefined && !(Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0)) {
    throw new TypeError(`runJob: timeoutMs must be a positive number, got ${opts.timeoutMs}`);
  }
  if (
    opts.maxOldSpaceMb !== undefined &&
    !(Number.isInteger(opts.maxOldSpaceMb) && opts.maxOldSpaceMb >= 64)
  ) {
    throw new TypeError(`runJob: maxOldSpaceMb must be an integer of at least 64, got ${opts.maxOldSpaceMb}`);
  }
}
