import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';
import { readEntropy } from '../../src/cli/entropy.js';
import { findUnsafeCharacter, isPathName } from '../../src/names.js';

describe('entropy from a file or stdin', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('reads the bytes of --entropy-file as hex, binary included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entropy-'));
    dirs.push(dir);
    const file = join(dir, 'dice.bin');
    await writeFile(file, Buffer.from([0, 255, 10, 13, 65]));
    expect(await readEntropy({ file })).toBe('00ff0a0d41');
  });

  it('reads stdin for --entropy-file -', async () => {
    expect(
      await readEntropy({ file: '-' }, Readable.from([Buffer.from('rolled '), Buffer.from('dice')])),
    ).toBe(Buffer.from('rolled dice').toString('hex'));
  });

  it('refuses both flags at once, an empty input and a missing file', async () => {
    await expect(readEntropy({ text: 'a', file: '-' })).rejects.toThrow(/not both/);
    await expect(readEntropy({ file: '-' }, Readable.from([]))).rejects.toThrow(/empty/);
    await expect(readEntropy({ file: '/nonexistent/entropy' })).rejects.toThrow(/ENOENT/);
  });

  it('is an option of contribute', () => {
    const parsed = parseCommandLine([
      'contribute',
      '--server',
      'http://x',
      '--key',
      'k',
      '--ceremony',
      'c',
      '--entropy-file',
      '-',
    ]);
    expect(parsed.flags['entropy-file']).toBe('-');
  });
});

describe('the shared name rules', () => {
  it('accepts only single safe path components as ceremony and circuit names', () => {
    for (const ok of ['main', 'mulchain-1021', 'a.b', 'C_2']) expect(isPathName(ok)).toBe(true);
    for (const bad of ['', '.', '..', '../../x', 'a/b', 'a\\b', '-x', `a${'b'.repeat(63)}`, 'x\n'])
      expect(isPathName(bad)).toBe(false);
  });

  it('finds control characters and bidi overrides, allowing newlines only in statements', () => {
    expect(findUnsafeCharacter('Zoë Ørsted 山田')).toBeUndefined();
    expect(findUnsafeCharacter('alice\u202Eecila')).toBe('\u202E');
    expect(findUnsafeCharacter('x\u2067y')).toBe('\u2067');
    expect(findUnsafeCharacter('bell\u0007')).toBe('\u0007');
    expect(findUnsafeCharacter('c1\u0085')).toBe('\u0085');
    expect(findUnsafeCharacter('two\nlines')).toBe('\n');
    expect(findUnsafeCharacter('two\nlines', true)).toBeUndefined();
    expect(findUnsafeCharacter('tab\there', true)).toBe('\t');
  });
});
