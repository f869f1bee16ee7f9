// `ceremony verify`: the auditor (docs/PROTOCOL.md section 12). Exit 0 iff no check fails.
import { readFile } from 'node:fs/promises';
import { auditCeremony, openSource } from '../../verify/audit.js';
import { formatReport, formatReportJson } from '../../verify/report.js';
import type { AuditReport } from '../../verify/types.js';
import { UsageError } from '../args.js';
import { type CliOutput, createOutput } from '../output.js';
import { createProgress } from '../progress.js';

export interface VerifyOptions {
  server?: string;
  ceremony?: string;
  dir?: string;
  /** Path(s) of older signed checkpoints (`--checkpoint`, repeatable) to check consistency from. */
  checkpoint?: string | readonly string[];
  /** Path(s) of participants' receipts (`--receipt`, repeatable): each is checked. */
  receipt?: string | readonly string[];
  /** The log's verifier key, obtained out of band, to pin instead of trusting the published one. */
  logKey?: string;
  /** Witness cosigner vkeys (`--witness`) and the quorum of them the checkpoints need (default: all). */
  witnesses?: readonly string[];
  witnessQuorum?: number;
  full: boolean;
  json: boolean;
  /** Where to print; the process's stdout and stderr by default. */
  output?: CliOutput;
}

async function readInput(flag: string, path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(
      `verify: cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

export async function runVerify(opts: VerifyOptions): Promise<number> {
  if (!opts || (opts.dir === undefined && (opts.server === undefined || opts.ceremony === undefined))) {
    throw new UsageError(
      'verify: give --server URL --ceremony ID, or --dir PATH (with --server URL for missing files)',
    );
  }
  const checkpoints: string[] = [];
  for (const path of typeof opts.checkpoint === 'string' ? [opts.checkpoint] : (opts.checkpoint ?? []))
    checkpoints.push((await readInput('--checkpoint', path)) ?? '');
  const receipt: string[] = [];
  for (const path of typeof opts.receipt === 'string' ? [opts.receipt] : (opts.receipt ?? []))
    receipt.push((await readInput('--receipt', path)) ?? '');
  const output = opts.output ?? createOutput(opts.json === true);
  const spinner = output.interactive ? createProgress(output).spinner('verifying') : undefined;
  let report: AuditReport;
  const source = openSource(opts);
  try {
    report = await auditCeremony(source, {
      checkpoint: checkpoints,
      receipt,
      full: opts.full === true,
      ...(opts.logKey === undefined ? {} : { logKey: opts.logKey }),
      ...(opts.witnesses === undefined ? {} : { witnesses: opts.witnesses }),
      ...(opts.witnessQuorum === undefined ? {} : { witnessQuorum: opts.witnessQuorum }),
      onProgress: (message) => spinner?.setLabel(message),
    });
  } finally {
    spinner?.stop();
    await source.close();
  }
  if (output.json) output.writeStdout(`${formatReportJson(report)}\n`);
  else
    output.writeStdout(
      formatReport(report)
        .map((line) => `${line}\n`)
        .join(''),
    );
  if (!report.ok) {
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
    output.writeStderr(`ceremony: verification failed: ${failed.join(', ')}\n`);
  }
  return report.ok ? 0 : 1;
}
