import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';

// snarkjs's worker shim breaks under the threads pool, so tests run in forked processes. Two files at a time by
// default (TEST_WORKERS overrides): most files spend much of their time waiting on child processes, HTTP and fsync,
// so a second file fills the gaps even on two cores.
const workers = Number(process.env.TEST_WORKERS ?? 2);

/** The newest modification time of any file under `dir`. */
function newestChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// snarkjs jobs run in child processes (src/snark/runner.ts). When dist/ was built after the last change to src/ (as
// `npm test` does), the children load the built module instead of compiling the sources with tsx each time.
function builtJobModule(): Record<string, string> {
  const built = resolve('dist/snark/job-process.js');
  try {
    return statSync(built).mtimeMs >= newestChange('src') ? { CEREMONY_TEST_JOB_MODULE: built } : {};
  } catch {
    return {};
  }
}

export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { maxForks: workers, minForks: 1 } },
    include: ['test/**/*.test.ts'],
    // The fault campaign runs on its own: `npm run test:faults`.
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    env: builtJobModule(),
  },
});
