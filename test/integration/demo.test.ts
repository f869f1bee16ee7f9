// The README's first command: `ceremony demo` runs a whole ceremony on the embedded database and audits it, and what
// it publishes passes `ceremony verify --dir` offline.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/ceremony.js', import.meta.url));

interface DemoSummary {
  ok: boolean;
  published: string;
  transcriptHead: { size: number; rootHash: string };
  contributions: { name: string; circuit: string; index: number; receipt: string }[];
  audit: { name: string; status: string }[];
}

describe('ceremony demo', () => {
  let dir: string;
  let summary: DemoSummary;
  let progress: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ceremony-demo-test-'));
    const demo = await run(process.execPath, [bin, 'demo', '--json', '--dir', join(dir, 'demo')], {
      maxBuffer: 16 << 20,
    });
    summary = JSON.parse(demo.stdout) as DemoSummary;
    progress = demo.stderr;
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs three participants, the beacon and the audit, and every check of the audit passes', () => {
    expect(summary.ok).toBe(true);
    expect(summary.contributions.map((c) => c.index).sort()).toEqual([1, 2, 3]);
    expect(summary.contributions.map((c) => c.name).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(summary.audit.filter((c) => c.status === 'fail')).toEqual([]);
    for (const name of ['final.zkey', 'final.beacon', 'final.proofs-of-knowledge', 'outputs.verifier'])
      expect(summary.audit.find((c) => c.name === name)?.status, name).toBe('pass');
    // With --json the progress lines stay off stdout (which holds the one JSON object).
    expect(progress).not.toMatch(/\[1\/6\]/);
  });

  it('publishes files an auditor checks offline with verify --dir', async () => {
    expect((await readdir(join(summary.published, 'mulchain'))).sort()).toEqual(
      expect.arrayContaining(['circuit.ptau', 'circuit.r1cs', 'final.zkey']),
    );
    const verify = await run(process.execPath, [bin, 'verify', '--dir', summary.published], {
      maxBuffer: 16 << 20,
    });
    expect(verify.stdout).toMatch(
      new RegExp(`^VERIFIED: ceremony demo: .*transcript of ${summary.transcriptHead.size} entries`, 'm'),
    );
  }, 120_000);
});
