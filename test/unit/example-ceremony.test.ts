import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { encodeVerifierKey } from '../../src/transcript/note.js';
import { auditCeremony, openSource } from '../../src/verify/audit.js';

// The committed example: a real finished `ceremony demo`, published files plus final zkey, r1cs and ptau.
const example = fileURLToPath(new URL('../../ceremony-transcripts/demo', import.meta.url));

async function audit(dir: string, logKey?: string) {
  const source = openSource({ dir });
  try {
    return await auditCeremony(source, logKey === undefined ? {} : { logKey });
  } finally {
    await source.close();
  }
}

describe('the committed example ceremony', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'ceremony-example-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('passes `ceremony verify --dir` with no server', async () => {
    const report = await audit(example);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.contributions.map((c) => c.index)).toEqual([1, 2, 3]);
  });

  it('checks checkpoints under a log key pinned out of band, refusing a published key that differs', async () => {
    const published = (await readFile(join(example, 'log-key.pub'), 'utf8')).trim();
    const other = encodeVerifierKey('demo.ceremony.local', generateKeyPair().publicKey);
    const pinnedRight = await audit(example, published);
    expect(pinnedRight.ok).toBe(true);
    const pinnedWrong = await audit(example, other);
    const signature = pinnedWrong.checks.find((c) => c.name === 'checkpoint.signature');
    expect(signature?.status).toBe('fail');
    expect(signature?.detail).toContain('is not the pinned key');
  });

  // One byte in the middle of each file; three of the twelve checkpoints stand for the rest.
  const files = [
    'transcript.jsonl',
    'checkpoint',
    'checkpoints/1',
    'checkpoints/6',
    'checkpoints/12',
    'log-key.pub',
    'mulchain/verification_key.json',
    'mulchain/verifier.sol',
    'mulchain/final.zkey.sha256',
    'mulchain/final.zkey',
    'mulchain/circuit.r1cs',
    'mulchain/circuit.ptau',
  ];
  it.each(files)('fails when one byte of %s changes', async (file) => {
    const dir = join(work, file.replaceAll('/', '_'));
    await cp(example, dir, { recursive: true });
    const bytes = await readFile(join(dir, file));
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    await writeFile(join(dir, file), bytes);
    const report = await audit(dir);
    expect(report.ok).toBe(false);
    expect(report.checks.some((c) => c.status === 'fail')).toBe(true);
  });
});
