// Request budgets for test servers. One test file drives a whole ceremony's setup from one loopback address and one
// coordinator key within seconds (each admin command logs in afresh), which the default budgets (10 logins a minute
// per key) would stretch into minutes of waiting on Retry-After. The limiter stays on, with room to spare; the files
// that test the budgets themselves start with `defaultBudgets: true` or set RATE_LIMIT_* of their own.
import { LIMIT_CLASSES } from '../../src/config.js';

export const ROOMY_BUDGETS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(LIMIT_CLASSES.map((group) => [`RATE_LIMIT_${group.toUpperCase()}`, '100000/100000'])),
);
