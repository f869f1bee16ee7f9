import { configDefaults, defineConfig } from 'vitest/config';

// snarkjs's worker shim breaks under the threads pool, so tests run in forked processes. Two files at a time by
// default (TEST_WORKERS overrides): most files spend much of their time waiting on child processes, HTTP and fsync,
// so a second file fills the gaps even on two cores.
const workers = Number(process.env.TEST_WORKERS ?? 2);

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
  },
});
