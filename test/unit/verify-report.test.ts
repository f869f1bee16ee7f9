// How `ceremony verify` prints its report, and how it refuses to run without a source.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { runVerify } from '../../src/cli/commands/verify.js';
import { formatReport, formatReportJson, formatVerdict, shortenHash } from '../../src/verify/report.js';
import { type AuditReport, CHECK_NAMES } from '../../src/verify/types.js';

function makeReport(overrides: Partial<AuditReport> = {}): AuditReport {
  return {
    ceremony: 'zk-2024',
    ok: true,
    checks: CHECK_NAMES.map((name) => ({
      name,
      status: name === 'receipt' ? 'skip' : 'pass',
      detail: `detail of ${name}`,
    })),
    contributions: [
      {
        participantId: 'p1',
        name: 'alice',
        circuit: 'main',
        index: 1,
        contributionHash: 'ab'.repeat(64),
        zkeySha256: 'cd'.repeat(32),
      },
      {
        participantId: 'p12',
        name: 'Zoë\u001b[31m',
        circuit: 'main',
        index: 2,
        contributionHash: '01'.repeat(64),
        zkeySha256: 'ef'.repeat(32),
      },
    ],
    transcript: { size: 9, root: '12'.repeat(32) },
    ...overrides,
  };
}

describe('formatReport', () => {
  it('prints one line per check in order, the contributions table, then the verdict', () => {
    const lines = formatReport(makeReport());
    expect(lines.slice(0, CHECK_NAMES.length)).toEqual(
      CHECK_NAMES.map((name) => `${name === 'receipt' ? 'SKIP' : 'PASS'}  ${name} — detail of ${name}`),
    );
    const table = lines.slice(CHECK_NAMES.length + 1, CHECK_NAMES.length + 4);
    expect(table).toEqual([
      'participant  id   circuit  index  contribution hash',
      'alice        p1   main     1      abababababababab…',
      // The escape character of a hostile name is shown as '?', never sent to the terminal.
      'Zoë?[31m     p12  main     2      0101010101010101…',
    ]);
    expect(lines.at(-1)).toBe(
      `VERIFIED: ceremony zk-2024: ${CHECK_NAMES.length - 1} checks passed, 1 skipped; transcript of 9 entries, root 1212121212121212…`,
    );
  });

  it('names the failed checks in the verdict', () => {
    const report = makeReport({ ok: false });
    report.checks[2] = { name: 'checkpoint.root', status: 'fail', detail: 'root differs' };
    report.checks[CHECK_NAMES.indexOf('final.beacon')] = {
      name: 'final.beacon',
      status: 'fail',
      detail: 'beacon differs',
    };
    expect(formatVerdict(report)).toBe(
      `FAILED: ceremony zk-2024: 2 of ${CHECK_NAMES.length} checks failed (checkpoint.root, final.beacon)`,
    );
    expect(formatReport(report)).toContain('FAIL  checkpoint.root — root differs');
  });

  it('says so when nothing was contributed', () => {
    expect(formatReport(makeReport({ contributions: [] }))).toContain('no accepted contributions');
  });

  it('shortens contribution hashes to 16 hex digits', () => {
    expect(shortenHash('f'.repeat(128))).toBe(`${'f'.repeat(16)}…`);
    expect(shortenHash('abc')).toBe('abc');
  });
});

describe('formatReportJson', () => {
  it('writes exactly the documented fields', () => {
    const report = makeReport();
    const withExtra = { ...report, extra: 1, checks: report.checks.map((c) => ({ ...c, ms: 3 })) };
    const parsed = JSON.parse(formatReportJson(withExtra));
    expect(Object.keys(parsed)).toEqual(['ceremony', 'ok', 'checks', 'contributions', 'transcript']);
    expect(Object.keys(parsed.checks[0])).toEqual(['name', 'status', 'detail']);
    expect(Object.keys(parsed.contributions[0])).toEqual([
      'participantId',
      'name',
      'circuit',
      'index',
      'contributionHash',
      'zkeySha256',
    ]);
    expect(parsed.transcript).toEqual({ size: 9, root: '12'.repeat(32) });
  });
});

describe('runVerify', () => {
  it('refuses to run without --server and --ceremony, or --dir', async () => {
    await expect(runVerify({ full: false, json: false })).rejects.toThrow(UsageError);
    await expect(runVerify({ server: 'http://127.0.0.1:1', full: false, json: false })).rejects.toThrow(
      /--server URL --ceremony ID, or --dir PATH/,
    );
  });

  it('says which input file it cannot read', async () => {
    await expect(
      runVerify({ dir: '/nonexistent', checkpoint: '/nonexistent/older', full: false, json: true }),
    ).rejects.toThrow('verify: cannot read --checkpoint /nonexistent/older: ENOENT');
  });
});
