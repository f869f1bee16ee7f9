import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadLogSigner } from '../../src/transcript/log-key.js';
import { parseVerifierKey } from '../../src/transcript/note.js';

describe('the log key and its origin', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ceremony-logkey-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates the key once, readable by its owner only, and keeps it across starts', async () => {
    const first = await loadLogSigner({ origin: 'a.example', dataDir, key: undefined });
    expect((await stat(join(dataDir, 'log-key'))).mode & 0o777).toBe(0o600);
    const again = await loadLogSigner({ origin: 'a.example', dataDir, key: undefined });
    expect(again.verifierKey).toBe(first.verifierKey);
    expect(parseVerifierKey(first.verifierKey).name).toBe('a.example');
  });

  it('keeps the first origin when only the host name default changed, and refuses a different configured one', async () => {
    await loadLogSigner({ origin: 'a.example', dataDir, key: undefined });
    const moved = await loadLogSigner({
      origin: 'container-7f3a',
      originConfigured: false,
      dataDir,
      key: undefined,
    });
    expect(moved.originOf('x')).toBe('a.example/ceremonies/x');
    await expect(
      loadLogSigner({ origin: 'b.example', originConfigured: true, dataDir, key: undefined }),
    ).rejects.toThrow(/signed as origin 'a.example'/);
  });
});
