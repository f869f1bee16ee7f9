// `--key` and `LOG_KEY` name a key one way for every command: a key file written by `ceremony keygen`, or a key
// inside a token by its PKCS#11 URI (RFC 7512, `pkcs11:token=…;object=…`).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readKeyFile } from '../crypto/ed25519.js';
import { acquireModule, type ModuleHandle } from './pkcs11-module.js';
import { openPkcs11Signer, type Pkcs11Signer, watchTokenKey } from './pkcs11-signer.js';
import { generateTokenKeyPair, type KeyLocation, TokenKeyError } from './pkcs11-token.js';
import { describePkcs11Uri, isPkcs11Uri, parsePkcs11Uri } from './pkcs11-uri.js';
import type { Signer } from './signer.js';

export { isPkcs11Uri, watchTokenKey };

/** Where PKCS#11 settings come from besides the URI: `PKCS11_MODULE`, `PKCS11_PIN` (the process environment). */
export interface KeyEnvironment {
  PKCS11_MODULE?: string;
  PKCS11_PIN?: string;
  /** Tests name an absent package here to see the message a machine without the binding gives. */
  bindingPackage?: string;
}

const MAX_PIN_BYTES = 256;

async function readPin(
  name: string,
  pinFile: string | undefined,
  env: KeyEnvironment,
): Promise<string | undefined> {
  if (pinFile === undefined) return env.PKCS11_PIN === '' ? undefined : env.PKCS11_PIN;
  let text: string;
  try {
    text = await readFile(pinFile, 'utf8');
  } catch (err) {
    throw new Error(`${name}: cannot read the PIN file ${pinFile} (${(err as NodeJS.ErrnoException).code})`);
  }
  // One trailing line break is the editor's, not the PIN's.
  const pin = text.replace(/\r?\n$/, '');
  if (pin === '' || Buffer.byteLength(pin) > MAX_PIN_BYTES)
    throw new Error(`${name}: the PIN file ${pinFile} is empty or longer than ${MAX_PIN_BYTES} bytes`);
  return pin;
}

/** Parses the URI and gathers what opening it needs; errors name the key, never the PIN. */
async function locate(
  spec: string,
  env: KeyEnvironment,
): Promise<{ location: KeyLocation; module: () => ModuleHandle }> {
  const uri = parsePkcs11Uri(spec);
  const name = describePkcs11Uri(uri);
  const modulePath = uri.modulePath ?? (env.PKCS11_MODULE === '' ? undefined : env.PKCS11_MODULE);
  if (modulePath === undefined)
    throw new Error(`${name}: no PKCS#11 module: add module-path=PATH to the URI or set PKCS11_MODULE`);
  const pin = await readPin(name, uri.pinFile, env);
  return {
    location: { uri, name, pin },
    module: () => {
      try {
        return acquireModule(modulePath, env.bindingPackage);
      } catch (err) {
        throw new Error(`${name}: ${(err as Error).message}`);
      }
    },
  };
}

/** Opens the key `spec` names; errors name the file or URI, never a secret or a PIN. */
export async function openSigner(spec: string, env: KeyEnvironment = process.env): Promise<Signer> {
  if (typeof spec !== 'string' || spec === '')
    throw new TypeError('openSigner: expected a key file path or a PKCS#11 URI');
  if (!isPkcs11Uri(spec)) return readKeyFile(spec);
  return openTokenSigner(spec, env);
}

/** Opens a key in a token, checked to sign (see proveKeyPair); `close()` ends its session. */
export function openTokenSigner(
  spec: string,
  env: KeyEnvironment = process.env,
): Promise<Pkcs11Signer & { close(): void }> {
  return withModule(spec, env, (handle, location) =>
    seeingNewTokens(handle, () => openPkcs11Signer(handle, location)),
  );
}

/**
 * `ceremony keygen --pkcs11 URI`: makes a sensitive, non-extractable Ed25519 pair in the token (CKA_ID from the
 * URI, else 16 random bytes) and returns it opened, so the caller prints its public key.
 */
export function generateTokenSigner(
  spec: string,
  env: KeyEnvironment = process.env,
): Promise<Pkcs11Signer & { close(): void }> {
  return withModule(spec, env, (handle, location) => {
    seeingNewTokens(handle, () => generateTokenKeyPair(handle, location, new Uint8Array(randomBytes(16))));
    return openPkcs11Signer(handle, location);
  });
}

/** Runs `open` with the URI's module held; the signer it returns keeps holding it, a failure lets it go. */
async function withModule<T>(
  spec: string,
  env: KeyEnvironment,
  open: (handle: ModuleHandle, location: KeyLocation) => T,
): Promise<T> {
  const { location, module } = await locate(spec, env);
  const handle = module();
  try {
    return open(handle, location);
  } catch (err) {
    handle.release();
    throw err;
  }
}

/**
 * Runs `step`, and once more after initializing the module anew when it found no token: a token inserted (or made)
 * after this process initialized the module is seen only then. Keys already open reopen at their next signature.
 */
function seeingNewTokens<T>(handle: ModuleHandle, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (!(err instanceof TokenKeyError && err.absent)) throw err;
    handle.reinitialize();
    return step();
  }
}
