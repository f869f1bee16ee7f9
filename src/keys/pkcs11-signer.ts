// A Signer whose secret stays in a token: each signature is C_Sign with CKM_EDDSA on the token's private key. Every
// signature is checked under the key's public half before it is returned, so a token that answers garbage never
// puts a bad signature into a transcript. A token that goes away makes sign() throw UNAVAILABLE (503) at once; the
// next sign() after RETRY_MS opens the token again, and signs only once it holds the same key pair.
import { randomBytes } from 'node:crypto';
import { makeSignatureVerifier } from '../crypto/signature-verifier.js';
import { CeremonyError } from '../errors.js';
import { describePkcs11Failure } from './pkcs11-binding.js';
import type { ModuleHandle } from './pkcs11-module.js';
import {
  closeTokenSession,
  type KeyLocation,
  openTokenSession,
  signInToken,
  TokenKeyError,
  type TokenSession,
} from './pkcs11-token.js';
import type { Signer } from './signer.js';

/** Tries to reach a lost token at most this often: each try may re-initialize the module. */
export const RETRY_MS = 1000;

export interface Pkcs11Signer extends Signer {
  /** The URI's path, as messages name the key. */
  readonly name: string;
  /** Hooks for the server's log: called once when the key stops signing, once when it signs again. */
  onUnavailable: ((detail: string) => void) | undefined;
  onRecovered: (() => void) | undefined;
}

function samePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Signs a fresh random message and checks the signature under the public half: the token can sign with this key
 * (CKM_EDDSA works) and the two objects the URI found are one pair.
 */
export function proveKeyPair(module: ModuleHandle, open: TokenSession, location: KeyLocation): void {
  const probe = new Uint8Array(randomBytes(32));
  let signature: Uint8Array;
  try {
    signature = signInToken(module, open, probe);
  } catch (err) {
    throw new TokenKeyError(
      `${location.name}: the token cannot sign with this key (${describePkcs11Failure(err)})`,
    );
  }
  if (!makeSignatureVerifier(open.publicKey)(signature, probe))
    throw new TokenKeyError(
      `${location.name}: the private and public key objects found are not one pair (its signature does not verify)`,
    );
}

/** Opens the key and proves it signs; errors are plain, for a start or a command to refuse with. */
export function openPkcs11Signer(
  module: ModuleHandle,
  location: KeyLocation,
  now: () => number = Date.now,
): Pkcs11Signer & { close(): void } {
  const first = openTokenSession(module, location);
  try {
    proveKeyPair(module, first, location);
  } catch (err) {
    closeTokenSession(module, first.session);
    throw err;
  }
  const publicKey = first.publicKey;
  const verify = makeSignatureVerifier(publicKey);
  let open: TokenSession | undefined = first;
  let failure: { detail: string; permanent: boolean; at: number } | undefined;
  let closed = false;

  const unavailable = () =>
    new CeremonyError(
      'UNAVAILABLE',
      `the key's token does not answer (${failure?.detail}); try again shortly`,
    );
  const lose = (err: unknown) => {
    if (open !== undefined) closeTokenSession(module, open.session);
    open = undefined;
    const detail = err instanceof TokenKeyError ? err.message : describePkcs11Failure(err);
    const first = failure === undefined;
    failure = { detail, permanent: err instanceof TokenKeyError && err.permanent, at: now() };
    if (first) signer.onUnavailable?.(`${location.name}: ${detail}`);
  };
  const reopen = (): TokenSession => {
    let next: TokenSession;
    try {
      next = openTokenSession(module, location);
    } catch (err) {
      if (err instanceof TokenKeyError && err.permanent) throw err;
      // A token that came back is seen only by a module initialized anew; other keys of it reopen after this.
      module.reinitialize();
      next = openTokenSession(module, location);
    }
    try {
      if (!samePublicKey(next.publicKey, publicKey))
        throw new TokenKeyError(`${location.name}: the token now holds another key under that name`);
      proveKeyPair(module, next, location);
    } catch (err) {
      closeTokenSession(module, next.session);
      throw err;
    }
    return next;
  };
  const connected = (): TokenSession => {
    if (closed) throw new Error(`${location.name}: the key was closed`);
    if (open !== undefined && open.generation === module.generation && module.ready) return open;
    // The module was initialized anew (by another key's recovery): this session is gone, the token likely not.
    const stale = open !== undefined;
    if (open !== undefined) closeTokenSession(module, open.session);
    open = undefined;
    if (failure?.permanent) throw unavailable();
    if (failure !== undefined && !stale && now() - failure.at < RETRY_MS) throw unavailable();
    try {
      open = reopen();
    } catch (err) {
      lose(err);
      throw unavailable();
    }
    if (failure !== undefined) {
      failure = undefined;
      signer.onRecovered?.();
    }
    return open;
  };

  const signer: Pkcs11Signer & { close(): void } = {
    name: location.name,
    onUnavailable: undefined,
    onRecovered: undefined,
    publicKey,
    sign(message) {
      const session = connected();
      let signature: Uint8Array;
      try {
        signature = signInToken(module, session, message);
      } catch (err) {
        lose(err);
        throw unavailable();
      }
      if (!verify(signature, message)) {
        lose(new TokenKeyError('the token returned a signature that does not verify under the key'));
        throw unavailable();
      }
      return signature;
    },
    close() {
      if (closed) return;
      closed = true;
      if (open !== undefined) closeTokenSession(module, open.session);
      open = undefined;
      module.release();
    },
  };
  return signer;
}

/** Logs a token key's outage once when it starts and once when it ends (each failed append answers 503 alone). */
export function watchTokenKey(
  key: Signer | undefined,
  log: { error(obj: object, msg: string): void; info(obj: object, msg: string): void },
): void {
  if (key === undefined || !('onUnavailable' in key)) return;
  const signer = key as Pkcs11Signer;
  signer.onUnavailable = (detail) =>
    log.error(
      { key: signer.name, detail },
      'the log key cannot sign: appends answer 503 until its token is back',
    );
  signer.onRecovered = () => log.info({ key: signer.name }, 'the log key signs again');
}
