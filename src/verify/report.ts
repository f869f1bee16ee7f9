// How an audit reads: one line per check, the contributions table, a one-line verdict; or one JSON object.
import type { AuditReport, CheckStatus } from './types.js';

const LABELS: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

/** Text from a transcript reaches a terminal: control characters (escape sequences) are shown as '?'. */
function printable(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    out += code < 0x20 || (code >= 0x7f && code <= 0x9f) ? '?' : char;
  }
  return out;
}

/** A 128-hex contribution hash as people compare it by eye: its first 16 hex digits. */
export function shortenHash(hash: string): string {
  if (typeof hash !== 'string') throw new TypeError('shortenHash: hash must be a string');
  return hash.length > 16 ? `${hash.slice(0, 16)}…` : hash;
}

/** Left-aligned columns separated by two spaces. */
function formatTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => [...row[column]!].length)));
  return rows.map((row) =>
    row
      .map((cell, column) =>
        column === row.length - 1 ? cell : cell.padEnd(widths[column]! + cell.length - [...cell].length),
      )
      .join('  ')
      .trimEnd(),
  );
}

export function formatVerdict(report: AuditReport): string {
  const failed = report.checks.filter((c) => c.status === 'fail');
  const skipped = report.checks.filter((c) => c.status === 'skip').length;
  const passed = report.checks.length - failed.length - skipped;
  if (failed.length > 0) {
    return `FAILED: ceremony ${report.ceremony}: ${failed.length} of ${report.checks.length} checks failed (${failed.map((c) => c.name).join(', ')})`;
  }
  const skips = skipped > 0 ? `, ${skipped} skipped` : '';
  return `VERIFIED: ceremony ${report.ceremony}: ${passed} checks passed${skips}; transcript of ${report.transcript.size} entries, root ${report.transcript.root.slice(0, 16)}…`;
}

/** The report for people: checks, then who contributed what, then the verdict. */
export function formatReport(report: AuditReport): string[] {
  if (!report || !Array.isArray(report.checks)) throw new TypeError('formatReport: expected an AuditReport');
  const lines = report.checks.map((c) => `${LABELS[c.status]}  ${c.name} — ${c.detail}`);
  lines.push('');
  if (report.contributions.length === 0) lines.push('no accepted contributions');
  else {
    const header = ['participant', 'id', 'circuit', 'index', 'contribution hash'];
    const rows = report.contributions.map((c) => [
      c.name || '?',
      c.participantId,
      c.circuit,
      String(c.index),
      shortenHash(c.contributionHash),
    ]);
    lines.push(...formatTable([header, ...rows]));
  }
  lines.push('', formatVerdict(report));
  return lines.map(printable);
}

/** The report as `--json` prints it: exactly the AuditReport fields, in a fixed order. */
export function formatReportJson(report: AuditReport): string {
  if (!report || !Array.isArray(report.checks))
    throw new TypeError('formatReportJson: expected an AuditReport');
  const { ceremony, ok, checks, contributions, transcript } = report;
  return JSON.stringify({
    ceremony,
    ok,
    checks: checks.map(({ name, status, detail }) => ({ name, status, detail })),
    contributions: contributions.map(
      ({ participantId, name, circuit, index, contributionHash, zkeySha256 }) => ({
        participantId,
        name,
        circuit,
        index,
        contributionHash,
        zkeySha256,
      }),
    ),
    transcript: { size: transcript.size, root: transcript.root },
  });
}
