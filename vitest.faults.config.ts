import { defineConfig } from 'vitest/config';

// The fault campaign (`npm run test:faults`): real processes killed at random, a private PostgreSQL cluster
// restarted, a tmpfs filled; minutes long, so it runs on its own in CI rather than inside `npm test`.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/faults/**/*.test.ts'],
    // A few minutes on an idle machine; the bound leaves room for a loaded CI host.
    testTimeout: 2_400_000,
    hookTimeout: 120_000,
  },
});
