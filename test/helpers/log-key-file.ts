// `LOG_KEY` names a key file (never a raw seed): tests that must know the log key's secret write it to one.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyPairFromSecret, writeKeyFile } from '../../src/crypto/ed25519.js';

/** A fresh key file (mode 0600) holding the key of `seed`; returns its path. */
export async function writeLogKeyFile(seed: Uint8Array): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'ceremony-log-key-')), 'log-key');
  await writeKeyFile(path, keyPairFromSecret(new Uint8Array(seed)));
  return path;
}
