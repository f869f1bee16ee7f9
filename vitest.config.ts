import { configDefaults, defineConfig } from 'vitest/config';

// snarkjs's worker shim breaks under the threads pool, so tests run in forked processes.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    // The fault campaign runs on its own: `npm run test:faults`.
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: true,
  },
});
