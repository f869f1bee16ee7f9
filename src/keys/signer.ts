// What signs: one Ed25519 key, wherever its secret lives. A key pair in memory (a key file, the browser's key) is a
// Signer; a key in a token (PKCS#11) is another. Every signature the project makes — logins, attestations,
// checkpoints, cosignatures, rotations — goes through this interface, so none of them needs the secret itself.

export interface Signer {
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** A 64-byte Ed25519 signature (RFC 8032) over `message`; throws when the key cannot sign now (a token away). */
  sign(message: Uint8Array): Uint8Array;
  /** Releases what the key holds (a token session); a key in memory holds nothing. */
  close?(): void;
}

/** Asserts `signer` is a Signer; `where` names the calling function in the error. */
export function assertSigner(where: string, signer: unknown): asserts signer is Signer {
  const s = signer as Partial<Signer> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    !(s.publicKey instanceof Uint8Array) ||
    s.publicKey.length !== 32 ||
    typeof s.sign !== 'function'
  ) {
    throw new TypeError(`${where}: expected a Signer (an Ed25519 public key of 32 bytes and a sign method)`);
  }
}
