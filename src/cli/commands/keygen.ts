// `ceremony keygen`: a new Ed25519 key for a coordinator or participant, in a key file or made inside a token.
import { resolve } from 'node:path';
import { generateKeyPair, writeKeyFile } from '../../crypto/ed25519.js';
import { toHex } from '../../crypto/hex.js';
import { generateTokenSigner } from '../../keys/open-signer.js';

export interface KeygenResult {
  publicKey: string;
  /** The key file written (`--out`). */
  keyFile?: string;
  /** The key made in a token (`--pkcs11`), named by its URI's path. */
  key?: string;
}

/** Writes the key file (mode 0600), or makes the pair in the token; refuses to overwrite either. */
export async function runKeygen(opts: { out: string } | { pkcs11: string }): Promise<KeygenResult> {
  if ('pkcs11' in opts) {
    const signer = await generateTokenSigner(opts.pkcs11);
    try {
      return { publicKey: toHex(signer.publicKey), key: signer.name };
    } finally {
      signer.close();
    }
  }
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
