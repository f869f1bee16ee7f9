// The auditor (`ceremony verify`): reads a ceremony from a source once, runs every check of docs/PROTOCOL.md
// section 12 in a fixed order, and returns the report. A check that throws fails with the reason.
import { toHex } from '../crypto/hex.js';
import { ArtifactStore } from './artifacts.js';
import { checkAttestations, checkChain } from './contribution-checks.js';
import { checkCosignatures } from './cosignature-check.js';
import { DirectorySource } from './dir-source.js';
import { runFinalChecks } from './final-checks.js';
import { HttpSource } from './http-source.js';
import { checkIntermediate } from './intermediate-check.js';
import { type Ledger, readLedger } from './ledger.js';
import {
  checkCanonical,
  checkHistory,
  checkOlderAll,
  checkRoot,
  checkSequence,
  checkSignature,
} from './log-checks.js';
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

async function guarded(run: () => Verdict | Promise<Verdict>): Promise<Verdict> {
  try {
    return await run();
  } catch (err) {
    return fail(`the check could not run: ${(err as Error).message}`);
  }
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

function listCheckpoints(checkpoint: AuditOptions['checkpoint']): readonly string[] {
  if (checkpoint === undefined) return [];
  return typeof checkpoint === 'string' ? [checkpoint] : checkpoint;
}

/** Audits one ceremony. The caller owns (and closes) the source; only an unreadable transcript throws. */
export async function auditCeremony(
  source: CeremonySource,
  options: AuditOptions = {},
): Promise<AuditReport> {
  if (!source || typeof source.readHead !== 'function')
    throw new TypeError('auditCeremony: source must be a CeremonySource');
  const progress = options.onProgress ?? (() => {});
  progress(`reading the transcript from ${source.label}`);
  const head = await source.readHead();
  const ledger = readLedger(head.transcript, source.ceremonyId);
  let logKeyProblem: string | undefined;
  const published = await source.readLogKey().catch((err: unknown) => {
    logKeyProblem = (err as Error).message;
    return undefined;
  });
  // A pinned key is what the checkpoints must verify under: whoever controls the source controls log-key.pub too.
  const pinned = options.logKey?.trim();
  const logKey = pinned ?? published;
  if (pinned !== undefined && published !== undefined && published.trim() !== pinned) {
    logKeyProblem = `the published log key ${published.trim()} is not the pinned key ${pinned}`;
  }
  const readProof = (from: number, to: number) => source.readConsistencyProof(from, to);
  const results = new Map<CheckName, Verdict>();
  const run = async (name: CheckName, check: () => Verdict | Promise<Verdict>) => {
    results.set(name, await guarded(check));
  };

  progress(`checking ${ledger.lines.length} entries and their checkpoints`);
  await run('entries.canonical', () => checkCanonical(ledger));
  await run('entries.sequence', () => checkSequence(ledger));
  await run('checkpoint.root', () => checkRoot(ledger, head.checkpoint));
  await run('checkpoint.signature', () =>
    logKeyProblem
      ? fail(pinned !== undefined ? logKeyProblem : `the log key could not be read: ${logKeyProblem}`)
      : checkSignature(head.checkpoint, logKey),
  );
  let history = new Map<number, string>();
  await run('checkpoints.history', async () => {
    history = await source.readCheckpoints(ledger.lines.length);
    return checkHistory(ledger, history, logKey);
  });
  await run('checkpoint.older', () =>
    checkOlderAll({ ledger, notes: listCheckpoints(options.checkpoint), logKey, readProof }),
  );
  const notes: [string, string][] = [...history].map(([size, note]) => [String(size), note]);
  if (head.checkpoint !== undefined) notes.push(['latest', head.checkpoint]);
  await run('cosignatures', () => checkCosignatures(ledger, notes, logKey));
  await run('contributions.chain', () => checkChain(ledger.facts));
  await run('contributions.attestations', () => checkAttestations(ledger));

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
    await run('receipt', () => checkReceipt({ ledger, receipt: options.receipt, logKey, readProof }));
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
