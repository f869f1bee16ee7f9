import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The database tests on PostgreSQL (`DATABASE_URL=postgres://… npm run test:postgres`): every integration test whose
// outcome can depend on the database — queue and turn rules, jobs and leases, crash and restart, backup and restore,
// the status board, roles, routes that write. CI runs them after the whole suite has run on PGlite.
// Left to the PGlite run, because the database plays no part in what they check:
export const NOT_ABOUT_THE_DATABASE = [
  // the auditor reading published files, and the CLI's offline and hostile-server paths
  'test/integration/verify.test.ts',
  'test/integration/air-gapped.test.ts',
  'test/integration/hostile-server.test.ts',
  // the single-file CLI a newcomer downloads, what a first start says of its origin, and the demo (always on PGlite)
  'test/integration/newcomer.test.ts',
  'test/integration/demo.test.ts',
  'test/integration/first-start.test.ts',
  // what logs and outputs hold, socket limits and draining on SIGTERM
  'test/integration/secrets.test.ts',
  'test/integration/hostile-clients.test.ts',
  'test/integration/shutdown.test.ts',
  // the blob stores: an S3-compatible bucket and a full disk
  'test/integration/s3-store.test.ts',
  'test/integration/disk-full.test.ts',
  // keys in a SoftHSM2 token: what they check is the token's part (a refused start, a 503 while it is away); an
  // append that fails mid-transaction on PostgreSQL is database-outage.test.ts's case
  'test/integration/pkcs11-keys.test.ts',
  'test/integration/pkcs11-server.test.ts',
  'test/integration/approvals-pkcs11.test.ts',
  // request bounds before any route runs (body shapes and trickles), one process per embedded data dir, the origin
  // warning at start
  'test/integration/body-shapes.test.ts',
  'test/integration/slow-clients.test.ts',
  'test/integration/one-process.test.ts',
  'test/integration/first-start.test.ts',
  // the step verifier's verdicts through HTTP, the witness on its own files, and the single-file CLI on a newcomer's
  // machine
  'test/integration/step-verifier-http.test.ts',
  'test/integration/witness-server.test.ts',
  'test/integration/witness-crash.test.ts',
  'test/integration/newcomer.test.ts',
  // snarkjs's verdicts and the beacon: a refused zkey, a finalization, a verifier disagreement (their rows are the
  // plain inserts and updates every database test above makes; most of their time is snarkjs)
  'test/integration/rejections.test.ts',
  'test/integration/finalize.test.ts',
  'test/integration/verifier-disagreement.test.ts',
];

// mergeConfig would append these lists to the base config's; they replace them instead.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/integration/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...NOT_ABOUT_THE_DATABASE],
  },
});
