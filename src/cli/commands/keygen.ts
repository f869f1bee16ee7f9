// `ceremony keygen`: a new Ed25519 key file for a coordinator or participant.
import { resolve } from 'node:path';
import { generateKeyPair, writeKeyFile } from '../../crypto/ed25519.js';
import { toHex } from '../../crypto/hex.js';

export interface KeygenResult {
  publicKey: string;
  keyFile: string;
}

/** Writes the key file (mode 0600); refuses to overwrite an existing file. */
export async function runKeygen(opts: { out: string }): Promise<KeygenResult> {
  if (typeof opts?.out !== 'string' || opts.out.length === 0)
    throw new TypeError('runKeygen: out path is required');
  const keyFile = resolve(opts.out);
  const keys = generateKeyPair();
  try {
    await writeKeyFile(keyFile, keys);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`${keyFile} already exists; refusing to overwrite a key file`);
    }
    throw err;
  }
  return { publicKey: toHex(keys.publicKey), keyFile };
}

export function formatKeygen(result: KeygenResult): string[] {
  return [result.publicKey];
}
