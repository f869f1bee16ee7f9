// `--key` and `LOG_KEY` name a key one way for every command: a key file written by `ceremony keygen`, or a key
// inside a token by its PKCS#11 URI (RFC 7512, `pkcs11:token=…;object=…`).
import { readKeyFile } from '../crypto/ed25519.js';
import type { Signer } from './signer.js';

/** True when `spec` names a key in a token rather than a file. */
export function isPkcs11Uri(spec: string): boolean {
  return spec.startsWith('pkcs11:');
}

/** Opens the key `spec` names; errors name the file or URI, never a secret or a PIN. */
export async function openSigner(spec: string): Promise<Signer> {
  if (typeof spec !== 'string' || spec === '')
    throw new TypeError('openSigner: expected a key file path or a PKCS#11 URI');
  if (isPkcs11Uri(spec)) throw new Error(`${spec}: PKCS#11 keys are not supported by this build`);
  return readKeyFile(spec);
}
