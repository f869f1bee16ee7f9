// Entry point of the short-lived child process that runs one snarkjs operation (forked by runner.ts).
// It takes one request over IPC (secrets such as entropy travel only there), answers once, and exits, which
// also ends ffjavascript's worker threads and any file handle snarkjs left open.
import { format } from 'node:util';
import * as snarkjs from 'snarkjs';
import { readGroth16Template } from './groth16-template.js';
import { verifyStep } from './step-verify/step-verifier.js';

export type JobRequest =
  | { op: 'newZKey'; r1csPath: string; ptauPath: string; outPath: string }
  | { op: 'verifyFromInit'; initZkeyPath: string; ptauPath: string; zkeyPath: string }
  | { op: 'verifyFromR1cs'; r1csPath: string; ptauPath: string; zkeyPath: string }
  | { op: 'verifyStep'; prevZkeyPath: string; zkeyPath: string }
  | { op: 'contribute'; prevZkeyPath: string; outPath: string; name: string; entropy: string }
  | {
      op: 'beacon';
      prevZkeyPath: string;
      outPath: string;
      name: string;
      beaconHex: string;
      iterationsExp: number;
    }
  | { op: 'exportVerificationKey'; zkeyPath: string }
  | { op: 'exportSolidityVerifier'; zkeyPath: string };

export type JobReply =
  | { ok: true; result: unknown; maxRssBytes: number; cpuMs: number }
  | { ok: false; error: string; maxRssBytes: number; cpuMs: number };

async function perform(request: JobRequest, notes: string[]): Promise<unknown> {
  // Only warnings and errors are kept (they explain failures); snarkjs never passes entropy to its logger.
  const logger: snarkjs.SnarkjsLogger = {
    debug: () => {},
    info: () => {},
    warn: (message) => notes.push(message),
    error: (message) => notes.push(message),
  };
  switch (request.op) {
    case 'newZKey': {
      const hash = await snarkjs.zKey.newZKey(request.r1csPath, request.ptauPath, request.outPath, logger);
      if (typeof hash === 'number') throw new Error(notes.join('; ') || 'zkey new failed');
      return Buffer.from(hash).toString('hex');
    }
    case 'verifyFromInit': {
      const { initZkeyPath, ptauPath, zkeyPath } = request;
      return verdict(await snarkjs.zKey.verifyFromInit(initZkeyPath, ptauPath, zkeyPath, logger), notes);
    }
    case 'verifyFromR1cs': {
      const { r1csPath, ptauPath, zkeyPath } = request;
      return verdict(await snarkjs.zKey.verifyFromR1cs(r1csPath, ptauPath, zkeyPath, logger), notes);
    }
    case 'verifyStep': {
      const verdict = await verifyStep(request.prevZkeyPath, request.zkeyPath);
      return verdict.ok
        ? { ok: true, contributionHash: verdict.contribution.contributionHash }
        : { ok: false, code: verdict.code, reason: verdict.message };
    }
    case 'contribute': {
      const { prevZkeyPath, outPath, name, entropy } = request;
      const hash = await snarkjs.zKey.contribute(prevZkeyPath, outPath, name, entropy, logger);
      return Buffer.from(hash).toString('hex');
    }
    case 'beacon': {
      const { prevZkeyPath, outPath, name, beaconHex, iterationsExp } = request;
      const hash = await snarkjs.zKey.beacon(prevZkeyPath, outPath, name, beaconHex, iterationsExp, logger);
      if (hash === false) throw new Error(notes.join('; ') || 'beacon failed');
      return Buffer.from(hash).toString('hex');
    }
    case 'exportVerificationKey':
      return snarkjs.zKey.exportVerificationKey(request.zkeyPath, logger);
    case 'exportSolidityVerifier': {
      const template = await readGroth16Template();
      return snarkjs.zKey.exportSolidityVerifier(request.zkeyPath, { groth16: template }, logger);
    }
  }
}

function verdict(ok: boolean, notes: string[]): { ok: boolean; reason?: string } {
  return ok ? { ok } : { ok, reason: notes.join('; ') || 'snarkjs verification failed' };
}

async function handle(request: JobRequest): Promise<void> {
  const notes: string[] = [];
  // verifyFromInit reports why a zkey is invalid with console.log: keep it as a note, print nothing.
  console.log = (...args: unknown[]) => notes.push(format(...args));
  let reply: JobReply;
  try {
    const result = await perform(request, notes);
    reply = { ok: true, result, maxRssBytes: maxRssBytes(), cpuMs: cpuMs() };
  } catch (err) {
    reply = {
      ok: false,
      error: err instanceof Error ? err.message : String(err),
      maxRssBytes: maxRssBytes(),
      cpuMs: cpuMs(),
    };
  }
  process.send?.(reply, () => process.exit(0));
}

// CPU of the whole process, worker threads included.
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

// Answers on import: as its own file, or inside the single-file ceremony.mjs (src/cli/single-file.ts).
if (process.send) {
  process.once('message', (message) => void handle(message as JobRequest));
  // A parent that goes away leaves nobody to answer: stop at once.
  process.once('disconnect', () => process.exit(1));
}
