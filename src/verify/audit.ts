// The auditor (`ceremony verify`): reads a ceremony from a source once, runs every check of docs/PROTOCOL.md
// section 12 in a fixed order, and returns the report. A check that throws fails with the reason.
import { toHex } from '../crypto/hex.js';
import { ArtifactStore } from './artifacts.js';
import { DirectorySource } from './dir-source.js';
import { runFinalChecks } from './final-checks.js';
import { HttpSource } from './http-source.js';
import { checkIntermediate } from './intermediate-check.js';
import type { Ledger } from './ledger.js';
import { auditLog, guarded } from './log-audit.js';
import { checkReceipt } from './receipt-check.js';
import type { CeremonySource } from './sources.js';
import {
  type AuditOptions,
  type AuditReport,
  CHECK_NAMES,
  type CheckName,
  type ContributionSummary,
  FINAL_CHECKS,
  fail,
  pass,
  type Verdict,
} from './types.js';

/** The source `ceremony verify` flags describe: a directory (with a server for what it lacks) or a server. */
export function openSource(options: { server?: string; ceremony?: string; dir?: string }): CeremonySource {
  if (options.dir !== undefined) return new DirectorySource({ ...options, dir: options.dir });
  if (options.server !== undefined && options.ceremony !== undefined) {
    return new HttpSource({ server: options.server, ceremony: options.ceremony });
  }
  throw new TypeError('openSource: give a server and a ceremony id, or a directory');
}

function summarizeContributions(ledger: Ledger): ContributionSummary[] {
  const { accepted, participants } = ledger.facts;
  return accepted.map((a) => ({
    participantId: a.participantId,
    name: participants.get(a.participantId)?.name ?? '',
    circuit: a.circuit,
    index: a.index,
    contributionHash: a.contributionHash,
    zkeySha256: a.zkeySha256,
  }));
}

/** Audits one ceremony. The caller owns (and closes) the source; only an unreadable transcript throws. */
export async function auditCeremony(
  source: CeremonySource,
  options: AuditOptions = {},
): Promise<AuditReport> {
  if (!source || typeof source.readHead !== 'function')
    throw new TypeError('auditCeremony: source must be a CeremonySource');
  const progress = options.onProgress ?? (() => {});
  const { ledger, results, logKeys, readProof } = await auditLog(source, options);
  const run = async (name: CheckName, check: () => Verdict | Promise<Verdict>) => {
    results.set(name, await guarded(check));
  };

  const artifacts = new ArtifactStore(source, progress);
  try {
    const ctx = { ledger, source, artifacts, progress };
    try {
      for (const [name, verdict] of Object.entries(await runFinalChecks(ctx)))
        results.set(name as CheckName, verdict);
    } catch (err) {
      for (const name of FINAL_CHECKS)
        results.set(name, fail(`the check could not run: ${(err as Error).message}`));
    }
    await run('receipt', () =>
      checkReceipts(options.receipt, (receipt) =>
        checkReceipt({ ledger, receipt, keys: logKeys, readProof }),
      ),
    );
    await run('intermediate.zkeys', () => checkIntermediate(ctx, options.full === true));
  } finally {
    await artifacts.close();
  }

  const checks = CHECK_NAMES.map((name) => ({
    name,
    ...(results.get(name) ?? fail('the check did not run')),
  }));
  return {
    ceremony: ledger.ceremonyId,
    ok: checks.every((c) => c.status !== 'fail'),
    checks,
    contributions: summarizeContributions(ledger),
    transcript: { size: ledger.lines.length, root: toHex(ledger.root) },
  };
}

/** Every receipt given is checked; the check fails when one does, naming which (1st, 2nd, … on the command line). */
async function checkReceipts(
  given: string | readonly string[] | undefined,
  check: (receipt: string | undefined) => Promise<Verdict>,
): Promise<Verdict> {
  const receipts = typeof given === 'string' ? [given] : (given ?? []);
  if (receipts.length <= 1) return check(receipts[0]);
  const verdicts: Verdict[] = [];
  for (const receipt of receipts) verdicts.push(await check(receipt));
  const details = verdicts.map((v, i) => `receipt ${i + 1}: ${v.detail}`).join('; ');
  return verdicts.every((v) => v.status === 'pass') ? pass(details) : fail(details);
}
