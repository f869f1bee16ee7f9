// Many signatures under one key, OpenSSL first: the checkpoint history is thousands of notes under the log key.
// The web page's bundle swaps this module for src/web/shims/signature-verifier.ts (noble alone: no OpenSSL there).
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { verifySignature } from './ed25519.js';

/**
 * A verifier bound to one (already validated) public key, for checking many signatures: OpenSSL answers first.
 * OpenSSL's check is cofactorless and needs s < L and R to be the canonical encoding of sB - kA, so whatever it
 * accepts the strict noble check accepts too; every signature OpenSSL refuses is decided by noble.
 */
export function makeSignatureVerifier(
  publicKey: Uint8Array,
): (signature: Uint8Array, message: Uint8Array) => boolean {
  if (publicKey.length !== 32)
    throw new TypeError(`makeSignatureVerifier: expected a 32-byte key, got ${publicKey.length}`);
  const keyObject = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return (signature, message) =>
    (signature.length === 64 && opensslVerify(null, message, keyObject, signature)) ||
    verifySignature(signature, message, publicKey);
}
