#!/usr/bin/env node
// Entry point of the single-file ceremony.mjs (scripts/build-cli.mjs bundles it with snarkjs): the participant's and
// auditor's commands with plain `node`, nothing installed. snarkjs runs in a child process, as in the package; here
// that child is this same file, started with JOB_CHILD_FLAG.
import { fileURLToPath } from 'node:url';

const JOB_CHILD_FLAG = '--ceremony-snark-job-child';

if (process.argv[2] === JOB_CHILD_FLAG) {
  await import('../snark/job-process.js');
} else {
  const { runJobsFrom } = await import('../snark/runner.js');
  runJobsFrom(fileURLToPath(import.meta.url), [JOB_CHILD_FLAG]);
  const { main } = await import('./main.js');
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`ceremony: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
