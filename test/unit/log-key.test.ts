import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPair, writeKeyFile } from '../../src/crypto/ed25519.js';
import type { Signer } from '../../src/keys/signer.js';
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

  it('refuses a key in a token while the data dir still holds a secret key file', async () => {
    const file = generateKeyPair();
    await writeKeyFile(join(dataDir, 'log-key'), file);
    // A key whose secret is elsewhere (a token's) is a Signer without a secretKey.
    const inToken: Signer = { publicKey: file.publicKey, sign: (m) => file.sign(m) };
    await expect(loadLogSigner({ origin: 'a.example', dataDir, key: inToken })).rejects.toThrow(
      /the log key is in a token, but .*log-key holds a secret key: move that file off this machine/,
    );
    // A key file named by LOG_KEY leaves the data dir's file alone, as before.
    const named = await loadLogSigner({ origin: 'a.example', dataDir, key: generateKeyPair() });
    expect(named.verifierKey).not.toBe('');
  });
});
