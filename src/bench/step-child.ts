// Benchmark child: one incremental step check as the server runs it. zkey_prev's side is prepared first (as at its
// acceptance), then zkey_new is fed in 1 MiB chunks paced at `mbPerSecond` (an upload at that speed; 0 = disk speed).
// Answers with the preparation cost, the verdict's latency after the last byte, CPU and peak RSS of this process.
import { open } from 'node:fs/promises';
import { prepareStep, startStepCheck } from '../snark/step-verify/step-verifier.js';

export interface StepBenchRequest {
  prevPath: string;
  nextPath: string;
  mbPerSecond: number;
}

export interface StepBenchReply {
  ok: boolean;
  prepareMs: number;
  prepareCpuMs: number;
  feedMs: number;
  verdictAfterLastByteMs: number;
  /** CPU from the first byte of zkey_new to the verdict. */
  stepCpuMs: number;
  maxRssBytes: number;
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function measure(request: StepBenchRequest): Promise<StepBenchReply> {
  let started = performance.now();
  const prepared = await prepareStep(request.prevPath);
  const prepareMs = performance.now() - started;
  const prepareCpuMs = cpuMs();
  const check = startStepCheck(prepared);
  const file = await open(request.nextPath, 'r');
  const buffer = new Uint8Array(1 << 20);
  started = performance.now();
  let sent = 0;
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, sent);
      if (bytesRead === 0) break;
      sent += bytesRead;
      if (request.mbPerSecond > 0) {
        const due = started + (sent / (request.mbPerSecond * 1e6)) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await check.push(buffer.slice(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  const lastByte = performance.now();
  const verdict = await check.finish();
  return {
    ok: verdict.ok,
    prepareMs,
    prepareCpuMs,
    feedMs: lastByte - started,
    verdictAfterLastByteMs: performance.now() - lastByte,
    stepCpuMs: cpuMs() - prepareCpuMs,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

if (process.send) {
  process.once('message', (message) => {
    void measure(message as StepBenchRequest).then(
      (reply) => process.send?.(reply, () => process.exit(0)),
      (err: Error) => {
        process.stderr.write(`${err.stack ?? err.message}\n`);
        process.exit(1);
      },
    );
  });
}
