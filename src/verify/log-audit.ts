// The log half of an audit (docs/PROTOCOL.md section 12): transcript, checkpoints, older checkpoint,
// cosignatures, chain and attestations. Needs no file system, so the web page runs it in the browser as it is.
import { checkApprovals } from './approval-checks.js';
import { checkAttestations, checkChain } from './contribution-checks.js';
import { checkCosignatures } from './cosignature-check.js';
import { type Ledger, readLedger } from './ledger.js';
import {
  checkCanonical,
  checkHistory,
  checkOlderAll,
  checkRestores,
  checkRoot,
  checkSequence,
  checkSignature,
} from './log-checks.js';
import { checkKeyRotations, type LogKeys, scheduleLogKeys } from './log-keys.js';
import type { LogSource } from './sources.js';
import { type AuditOptions, type CheckName, fail, type Verdict } from './types.js';
import { checkWitnessQuorum, receiptCheckpointsOf } from './witness-check.js';

export interface LogAudit {
  ledger: Ledger;
  results: Map<CheckName, Verdict>;
  /** The key in force now: the last one the log announced, else the pinned one, else the published one. */
  logKey: string | undefined;
  /** Which key signs the checkpoint of each size. */
  logKeys: LogKeys;
  /** The latest signed checkpoint as the source served it. */
  checkpoint: string | undefined;
  readProof: (from: number, to: number) => Promise<string[] | undefined>;
}

/** Runs `run`; a check that throws fails with the reason. */
function listCheckpoints(checkpoint: string | readonly string[] | undefined): readonly string[] {
  if (checkpoint === undefined) return [];
  return typeof checkpoint === 'string' ? [checkpoint] : checkpoint;
}

export async function guarded(run: () => Verdict | Promise<Verdict>): Promise<Verdict> {
  try {
    return await run();
  } catch (err) {
    return fail(`the check could not run: ${(err as Error).message}`);
  }
}

/** Runs the log checks on `source`; only an unreadable transcript throws. */
export async function auditLog(
  source: LogSource,
  options: Pick<
    AuditOptions,
    'checkpoint' | 'logKey' | 'onProgress' | 'witnesses' | 'witnessQuorum' | 'receipt'
  > = {},
): Promise<LogAudit> {
  if (!source || typeof source.readHead !== 'function')
    throw new TypeError('auditLog: source must be a LogSource');
  const progress = options.onProgress ?? (() => {});
  progress(`reading the transcript from ${source.label}`);
  const head = await source.readHead();
  const ledger = readLedger(head.transcript, source.ceremonyId);
  let readProblem: string | undefined;
  const published = await source.readLogKey().catch((err: unknown) => {
    readProblem = (err as Error).message;
    return undefined;
  });
  // A pinned key is what the checkpoints must verify under: whoever controls the source controls log-key.pub too.
  const logKeys = scheduleLogKeys(ledger, { published, pinned: options.logKey, readProblem });
  const readProof = (from: number, to: number) => source.readConsistencyProof(from, to);
  const results = new Map<CheckName, Verdict>();
  const run = async (name: CheckName, check: () => Verdict | Promise<Verdict>) => {
    results.set(name, await guarded(check));
  };

  progress(`checking ${ledger.lines.length} entries and their checkpoints`);
  await run('entries.canonical', () => checkCanonical(ledger));
  await run('entries.sequence', () => checkSequence(ledger));
  await run('checkpoint.root', () => checkRoot(ledger, head.checkpoint));
  await run('checkpoint.signature', () => checkSignature(head.checkpoint, logKeys));
  let history = new Map<number, string>();
  await run('checkpoints.history', async () => {
    history = await source.readCheckpoints(ledger.lines.length);
    return checkHistory(ledger, history, logKeys);
  });
  await run('checkpoint.older', () =>
    checkOlderAll({ ledger, notes: listCheckpoints(options.checkpoint), keys: logKeys, readProof }),
  );
  await run('log.restores', () => checkRestores(ledger));
  await run('log.key-rotations', () => checkKeyRotations(ledger));
  await run('approvals', () => checkApprovals(ledger));
  const notes: [string, string][] = [...history].map(([size, note]) => [String(size), note]);
  if (head.checkpoint !== undefined) notes.push(['latest', head.checkpoint]);
  await run('cosignatures', () => checkCosignatures(ledger, notes, logKeys.current));
  await run('witnesses', () =>
    checkWitnessQuorum({
      witnesses: options.witnesses ?? [],
      quorum: options.witnessQuorum ?? (options.witnesses ?? []).length,
      latest: head.checkpoint,
      notes: history.values(),
      receiptCheckpoints: receiptCheckpointsOf(options.receipt),
    }),
  );
  await run('contributions.chain', () => checkChain(ledger.facts));
  await run('contributions.attestations', () => checkAttestations(ledger));
  return { ledger, results, logKey: logKeys.current, logKeys, checkpoint: head.checkpoint, readProof };
}
