// A process runs snarkjs on the same files once. snarkjs's verdict is a function of the bytes alone, and the auditor
// only hands snarkjs files whose SHA-256 the transcript names (ArtifactStore checked each), so those hashes are the
// verdict's key. An auditor checking several ceremonies that share an r1cs and ptau, or a test suite auditing one
// finished ceremony many times with a tampering elsewhere each time, then pays for each verification once.
import type { Verdict } from '../snark/runner.js';

/** Verdicts kept per process; the oldest goes first. */
const MAX_VERDICTS = 256;
const verdicts = new Map<string, Promise<Verdict>>();

/**
 * The verdict of `verify` for the files whose SHA-256s are `hashes` (in the order the operation takes them),
 * computed at most once per process. A verification that throws (a crash, a timeout) is not kept.
 */
export function verifyOnce(
  op: string,
  hashes: readonly string[],
  verify: () => Promise<Verdict>,
): Promise<Verdict> {
  if (!hashes.every((h) => /^[0-9a-f]{64}$/.test(h)))
    throw new TypeError('verifyOnce: every hash must be 64 lowercase hex characters');
  const key = `${op}:${hashes.join(':')}`;
  const known = verdicts.get(key);
  if (known) return known;
  const verdict = verify();
  verdicts.set(key, verdict);
  verdict.catch(() => verdicts.delete(key));
  if (verdicts.size > MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value as string);
  return verdict;
}
