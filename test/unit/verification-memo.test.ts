import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/snark/runner.js';
import { verifyOnce } from '../../src/verify/verification-memo.js';

const hash = (n: number) => n.toString(16).padStart(64, '0');
const verdict = (ok: boolean): Verdict => ({ ok, durationMs: 1, cpuMs: 1, maxRssBytes: 1 });

describe('verifyOnce', () => {
  it('runs a verification once per operation and files, and again for any other file or operation', async () => {
    let runs = 0;
    const verify = async () => {
      runs++;
      return verdict(false);
    };
    const files = [hash(1), hash(2), hash(3)];
    expect((await verifyOnce('memo-test', files, verify)).ok).toBe(false);
    expect((await verifyOnce('memo-test', files, verify)).ok).toBe(false);
    expect(runs).toBe(1);
    await verifyOnce('memo-test', [hash(1), hash(2), hash(4)], verify);
    await verifyOnce('memo-test-other', files, verify);
    expect(runs).toBe(3);
  });

  it('keeps no verification that threw: the next call runs it again', async () => {
    let runs = 0;
    const flaky = async () => {
      runs++;
      if (runs === 1) throw new Error('the child was killed');
      return verdict(true);
    };
    await expect(verifyOnce('memo-test-flaky', [hash(9)], flaky)).rejects.toThrow('killed');
    expect((await verifyOnce('memo-test-flaky', [hash(9)], flaky)).ok).toBe(true);
    expect(runs).toBe(2);
  });

  it('refuses a key that is not a SHA-256', () => {
    expect(() => verifyOnce('memo-test', ['final.zkey'], async () => verdict(true))).toThrow(/verifyOnce/);
  });
});
