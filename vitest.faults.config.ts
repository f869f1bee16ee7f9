import { defineConfig } from 'vitest/config';

// The fault campaign (`npm run test:faults`): real processes killed at random, a private PostgreSQL cluster
// restarted, a tmpfs filled; minutes long, so it runs on its own in CI rather than inside `npm test`.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
