// Inputs the bench builds itself on first use and keeps in a cache folder (`--cache-dir`, default under the OS temp
// dir): multiplication-chain r1cs files of any size, and phase-2-prepared powers of tau made with the snarkjs CLI.
// These ptau files have a single contribution whose entropy nobody kept: fit for benchmarks and tests, never for a
// real ceremony.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeMulchainR1cs } from './mulchain-r1cs.js';

export const defaultCacheDir = join(tmpdir(), 'ceremony-bench-cache');

// The CLI sits beside the CommonJS build that `require` resolves (snarkjs exports no other path).
const snarkjsCli = join(dirname(createRequire(import.meta.url).resolve('snarkjs')), 'cli.cjs');

export const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Makes `path` through `write(temp)` and a rename, so an interrupted build never leaves a half file in the cache. */
export async function buildOnce(path: string, write: (temp: string) => Promise<void>): Promise<boolean> {
  if (await exists(path)) return false;
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(4).toString('hex')}.part`;
  try {
    await write(temp);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  return true;
}

/** The cached mulchain r1cs of `constraints` constraints, written on first use. */
export async function cachedMulchainR1cs(cacheDir: string, constraints: number): Promise<string> {
  const path = join(cacheDir, `mulchain-${constraints}.r1cs`);
  await buildOnce(path, (temp) => writeMulchainR1cs(temp, constraints));
  return path;
}

/** Runs the snarkjs CLI; `stdin` answers its entropy prompt, so the entropy never appears in argv or a log. */
function runSnarkjs(args: string[], stdin?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [snarkjsCli, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString()).slice(-2000);
    });
    child.stdin.end(stdin ?? '');
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`snarkjs ${args.slice(0, 2).join(' ')} exited with ${code}: ${errors}`)),
    );
  });
}

export interface PtauBuild {
  path: string;
  /** Seconds per step when the file was built by this call; null when it came from the cache. */
  builtSeconds: { new: number; contribute: number; preparePhase2: number } | null;
}

/**
 * The cached phase-2-prepared bn128 ptau of 2^power: `powersoftau new bn128 <power>`, one `contribute`,
 * `prepare phase2`, on first use. 2^14 took 49 minutes (prepare phase2: 48) on 2 cores shared with a load average of
 * 11–35; a quarter of 2^16's ~30 minutes is the estimate for a quiet machine.
 */
export async function cachedPreparedPtau(
  cacheDir: string,
  power: number,
  progress: (message: string) => void,
): Promise<PtauBuild> {
  if (!Number.isInteger(power) || power < 1 || power > 28)
    throw new RangeError(`cachedPreparedPtau: power must be an integer from 1 to 28, got ${power}`);
  const path = join(cacheDir, `pot${power}.ptau`);
  let builtSeconds: PtauBuild['builtSeconds'] = null;
  await buildOnce(path, async (temp) => {
    const fresh = `${temp}.0`;
    const contributed = `${temp}.1`;
    const seconds = async (step: () => Promise<void>) => {
      const started = performance.now();
      await step();
      return (performance.now() - started) / 1000;
    };
    try {
      progress(`ptau 2^${power}: powersoftau new (one-party ptau for benchmarks only, kept in ${cacheDir})`);
      const created = await seconds(() => runSnarkjs(['powersoftau', 'new', 'bn128', String(power), fresh]));
      progress(`ptau 2^${power}: powersoftau contribute`);
      const contribute = await seconds(() =>
        runSnarkjs(
          ['powersoftau', 'contribute', fresh, contributed, '-n=bench'],
          `${randomBytes(32).toString('hex')}\n`,
        ),
      );
      progress(`ptau 2^${power}: powersoftau prepare phase2`);
      const preparePhase2 = await seconds(() =>
        runSnarkjs(['powersoftau', 'prepare', 'phase2', contributed, temp]),
      );
      builtSeconds = { new: created, contribute, preparePhase2 };
      progress(
        `ptau 2^${power}: built in ${(created + contribute + preparePhase2).toFixed(0)} s (new ${created.toFixed(0)} s, contribute ${contribute.toFixed(0)} s, prepare phase2 ${preparePhase2.toFixed(0)} s)`,
      );
    } finally {
      await rm(fresh, { force: true });
      await rm(contributed, { force: true });
    }
  });
  return { path, builtSeconds };
}
