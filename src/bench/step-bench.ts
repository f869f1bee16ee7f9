// Verifying one contribution three ways on the same files: the incremental step check (ours), snarkjs's
// zKey.verifyFromInit, and `snarkjs zkey verify` from r1cs + ptau. Each runs in its own child process.
import { fork } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contribute, createInitialZkey, verifyFromInit, verifyFromR1cs } from '../snark/runner.js';
import { exists } from './bench-inputs.js';
import type { StepBenchReply, StepBenchRequest } from './step-child.js';

export interface BenchCircuit {
  label: string;
  power: number;
  r1cs: string;
  ptau: string;
}

export interface Measured {
  ms: number;
  cpuMs: number;
  maxRssBytes: number;
}

export interface StepBenchRow {
  circuit: string;
  power: number;
  zkeyBytes: number;
  ours: StepBenchReply & { mbPerSecond: number };
  oursAtDiskSpeed: StepBenchReply;
  verifyFromInit: Measured;
  zkeyVerify: Measured | null;
}

const childPath = fileURLToPath(new URL('./step-child.js', import.meta.url));

/**
 * zkey_0 (zkey new), zkey_1 and zkey_2 (two contributions) for a circuit, kept in `cacheDir` between runs (the setup
 * of big circuits takes minutes).
 */
async function prepareZkeys(
  c: BenchCircuit,
  cacheDir: string,
): Promise<{ init: string; prev: string; next: string }> {
  await mkdir(cacheDir, { recursive: true });
  const name = c.r1cs
    .split('/')
    .at(-1)!
    .replace(/\.r1cs$/, '');
  const [init, prev, next] = [0, 1, 2].map((i) => join(cacheDir, `${name}.${i}.zkey`)) as [
    string,
    string,
    string,
  ];
  if (!(await exists(init))) await createInitialZkey(c.r1cs, c.ptau, init);
  if (!(await exists(prev))) await contribute(init, prev, 'bench 1', `bench entropy ${Math.random()}`);
  if (!(await exists(next))) await contribute(prev, next, 'bench 2', `bench entropy ${Math.random()}`);
  return { init, prev, next };
}

function runStepChild(request: StepBenchRequest): Promise<StepBenchReply> {
  return new Promise((resolve, reject) => {
    const child = fork(childPath, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', (reply) => resolve(reply as StepBenchReply));
    child.once('exit', (code) => reject(new Error(`step bench child exited with ${code}`)));
    child.send(request);
  });
}

export async function benchSteps(
  circuits: BenchCircuit[],
  options: {
    runs: number;
    mbPerSecond: number;
    cacheDir: string;
    withR1csVerify: (power: number) => boolean;
  },
  progress: (message: string) => void,
): Promise<StepBenchRow[]> {
  const rows: StepBenchRow[] = [];
  for (const c of circuits) {
    progress(`step verification at 2^${c.power}: preparing zkeys…`);
    const { init, prev, next } = await prepareZkeys(c, options.cacheDir);
    const runs = c.power >= 16 ? 1 : options.runs;
    const ours: StepBenchReply[] = [];
    const disk: StepBenchReply[] = [];
    const fromInit: Measured[] = [];
    for (let i = 0; i < runs; i++) {
      progress(`step verification at 2^${c.power}: run ${i + 1}/${runs}`);
      ours.push(await runStepChild({ prevPath: prev, nextPath: next, mbPerSecond: options.mbPerSecond }));
      disk.push(await runStepChild({ prevPath: prev, nextPath: next, mbPerSecond: 0 }));
      const v = await verifyFromInit(init, c.ptau, next);
      fromInit.push({ ms: v.durationMs, cpuMs: v.cpuMs, maxRssBytes: v.maxRssBytes });
      if (!v.ok || !ours.at(-1)!.ok || !disk.at(-1)!.ok)
        throw new Error(`bench: 2^${c.power} did not verify`);
    }
    let zkeyVerify: Measured | null = null;
    if (options.withR1csVerify(c.power)) {
      progress(`step verification at 2^${c.power}: snarkjs zkey verify from r1cs + ptau`);
      const v = await verifyFromR1cs(c.r1cs, c.ptau, next);
      if (!v.ok) throw new Error(`bench: zkey verify refused 2^${c.power}`);
      zkeyVerify = { ms: v.durationMs, cpuMs: v.cpuMs, maxRssBytes: v.maxRssBytes };
    }
    const byLatency = (xs: StepBenchReply[]) =>
      [...xs].sort((a, b) => a.verdictAfterLastByteMs - b.verdictAfterLastByteMs)[Math.floor(xs.length / 2)]!;
    rows.push({
      circuit: c.label,
      power: c.power,
      zkeyBytes: (await stat(next)).size,
      ours: { ...byLatency(ours), mbPerSecond: options.mbPerSecond },
      oursAtDiskSpeed: byLatency(disk),
      verifyFromInit: [...fromInit].sort((a, b) => a.ms - b.ms)[Math.floor(fromInit.length / 2)]!,
      zkeyVerify,
    });
  }
  return rows;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

export function formatStepTable(rows: StepBenchRow[]): string[] {
  const lines = [
    '| circuit | zkey | ours: verdict after last byte | ours: CPU (step / prepare) | ours: peak RSS | ours at disk speed | verifyFromInit (time, CPU, RSS) | zkey verify r1cs + ptau (time, CPU, RSS) | CPU ours / verifyFromInit | verdict after last byte / verifyFromInit time |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const z = r.zkeyVerify;
    lines.push(
      `| ${r.circuit} | ${(r.zkeyBytes / 1e6).toFixed(1)} MB | ${s(r.ours.verdictAfterLastByteMs)} (upload at ${r.ours.mbPerSecond} MB/s, ${s(r.ours.feedMs)}) | ${s(r.ours.stepCpuMs)} / ${s(r.ours.prepareCpuMs)} | ${mb(r.ours.maxRssBytes)} | ${s(r.oursAtDiskSpeed.feedMs + r.oursAtDiskSpeed.verdictAfterLastByteMs)} | ${s(r.verifyFromInit.ms)}, ${s(r.verifyFromInit.cpuMs)}, ${mb(r.verifyFromInit.maxRssBytes)} | ${z ? `${s(z.ms)}, ${s(z.cpuMs)}, ${mb(z.maxRssBytes)}` : 'not run'} | ${(r.ours.stepCpuMs / r.verifyFromInit.cpuMs).toFixed(2)} | ${(r.ours.verdictAfterLastByteMs / r.verifyFromInit.ms).toFixed(3)} |`,
    );
  }
  return lines;
}
