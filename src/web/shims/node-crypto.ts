// The audit worker's node:crypto: SHA-256 by @noble/hashes for the beacon key derivation (src/snark/bn128-points.ts),
// nothing else; any other use fails loudly.
import { sha256 } from '@noble/hashes/sha2.js';

export function createHash(algorithm: string) {
  if (algorithm !== 'sha256') throw new Error(`createHash('${algorithm}') is not available in the browser`);
  const hash = sha256.create();
  const api = {
    update(data: Uint8Array) {
      hash.update(data);
      return api;
    },
    digest: () => hash.digest(),
  };
  return api;
}

export function randomBytes(): never {
  throw new Error('randomBytes is not available in the browser');
}
