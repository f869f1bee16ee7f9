// The browser's stand-in for src/crypto/signature-verifier.ts: no OpenSSL here, so noble decides every signature.
import { verifySignature } from '../../crypto/ed25519.js';

export function makeSignatureVerifier(
  publicKey: Uint8Array,
): (signature: Uint8Array, message: Uint8Array) => boolean {
  if (publicKey.length !== 32)
    throw new TypeError(`makeSignatureVerifier: expected a 32-byte key, got ${publicKey.length}`);
  return (signature, message) => verifySignature(signature, message, publicKey);
}
