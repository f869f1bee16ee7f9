// The auditor's nouns (docs/PROTOCOL.md section 12).
// - source: where the public material comes from (a coordinator over HTTP, or a published directory).
// - ledger: the transcript parsed once: its lines, leaf hashes, Merkle tree and the facts its entries state.
// - check: one named property of the ceremony, with a verdict (pass, fail or skip) and a one-line detail.
// - artifact: a file the transcript names by SHA-256 (r1cs, ptau, zkeys); never used before its hash matches.
// - report: every check in a fixed order, the accepted contributions, and the transcript's size and root.

/** Every check, in the order the report lists them. The names are stable: scripts match on them. */
/** The checks of docs/PROTOCOL.md section 12 (final.*, outputs.*): they need the final zkey and the published outputs. */
export const FINAL_CHECKS = [
  'final.zkey',
  'final.contributions',
  'final.beacon',
  'final.proofs-of-knowledge',
  'outputs.verification-key',
  'outputs.verifier',
] as const;

export const CHECK_NAMES = [
  'entries.canonical',
  'entries.sequence',
  'checkpoint.root',
  'checkpoint.signature',
  'checkpoints.history',
  'checkpoint.older',
  'log.restores',
  'log.key-rotations',
  'approvals',
  'cosignatures',
  'witnesses',
  'contributions.chain',
  'contributions.attestations',
  ...FINAL_CHECKS,
  'receipt',
  'intermediate.zkeys',
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: CheckName;
  status: CheckStatus;
  detail: string;
}

/** One accepted contribution, as the report lists it. */
export interface ContributionSummary {
  participantId: string;
  /** The name registered for participantId ('' when the transcript registers none). */
  name: string;
  circuit: string;
  index: number;
  contributionHash: string;
  zkeySha256: string;
}

export interface AuditReport {
  ceremony: string;
  /** True iff no check failed (skipped checks do not count against it). */
  ok: boolean;
  checks: CheckResult[];
  contributions: ContributionSummary[];
  transcript: { size: number; root: string };
}

export interface AuditOptions {
  /** Text(s) of older signed checkpoints the auditor kept (`--checkpoint FILE`, repeatable). */
  checkpoint?: string | readonly string[];
  /** JSON text of participants' receipts (`--receipt FILE`, repeatable): each is checked. */
  receipt?: string | readonly string[];
  /** Re-verify every intermediate zkey and recompute the initial zkey (`--full`). */
  full?: boolean;
  /** Short status lines ("fetching …", "verifying …") for a progress display. */
  onProgress?: (message: string) => void;
  /** The log's verifier key as the auditor got it out of band (`--log-key`); the published one must equal it. */
  logKey?: string;
  /** Witness cosigner vkeys the auditor trusts (`--witness`) and how many must cosign (`--witness-quorum`). */
  witnesses?: readonly string[];
  witnessQuorum?: number;
}

/** A check's verdict before it gets its name. */
export type Verdict = Omit<CheckResult, 'name'>;

export function pass(detail: string): Verdict {
  return { status: 'pass', detail };
}

export function fail(detail: string): Verdict {
  return { status: 'fail', detail };
}

export function skip(detail: string): Verdict {
  return { status: 'skip', detail };
}

/** A hex hash as details show it: its first 16 digits. */
export function shortHex(hex: string): string {
  return `${hex.slice(0, 16)}…`;
}

/** The first few problems and how many more there are: details stay one line. */
export function summarizeProblems(problems: string[], shown = 3): string {
  const head = problems.slice(0, shown).join('; ');
  return problems.length > shown ? `${head}; and ${problems.length - shown} more` : head;
}
