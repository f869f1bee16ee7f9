import { defineConfig } from 'vitest/config';

// The fault campaign (`npm run test:faults`): real processes killed at random, a private PostgreSQL cluster
// restarted, a tmpfs filled; minutes long, so it runs on its own in CI rather than inside `npm test`.
export default defineConfig({
  test: {
    pool: 'forks',
    // The campaign and the scale-out test each run their own PostgreSQL cluster on a free port and spend most of
    // their time waiting on leases, restarts and participants: side by side they take the longer one's time.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    include: ['test/faults/**/*.test.ts'],
    // A few minutes on an idle machine; the bound leaves room for a loaded CI host.
    testTimeout: 2_400_000,
    hookTimeout: 120_000,
  },
});
