// One Ed25519 key pair in a token: find the token a URI names, log in, find both halves of the key, check they are
// an Ed25519 pair the token can sign with (CKK_EC_EDWARDS, CKM_EDDSA). Also makes such a pair (`keygen --pkcs11`).
// Every error names the key by its URI's path (describePkcs11Uri), never the PIN.
import { parsePublicKey } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hex.js';
import {
  type Attribute,
  CK,
  describePkcs11Failure,
  type Handle,
  pkcs11ReturnName,
} from './pkcs11-binding.js';
import type { ModuleHandle } from './pkcs11-module.js';
import type { Pkcs11Uri, TokenMatch } from './pkcs11-uri.js';

/** Where a key is: its parsed URI, the name messages give it, and the PIN (held in memory only, never shown). */
export interface KeyLocation {
  uri: Pkcs11Uri;
  name: string;
  pin: string | undefined;
}

/** An open session holding the key, valid for the module generation it was opened under. */
export interface TokenSession {
  session: Handle;
  privateKey: Handle;
  publicKey: Uint8Array;
  generation: number;
}

/**
 * A key that cannot be used: `permanent` when retrying cannot mend it (a wrong or locked PIN: retrying would lock
 * the PIN for good), `absent` when no token the URI names is present.
 */
export class TokenKeyError extends Error {
  readonly permanent: boolean;
  readonly absent: boolean;
  constructor(message: string, how: { permanent?: boolean; absent?: boolean } = {}) {
    super(message);
    this.name = 'TokenKeyError';
    this.permanent = how.permanent ?? false;
    this.absent = how.absent ?? false;
  }
}

// RFC 8410's id-Ed25519 (1.3.101.112) and PKCS#11 3.0's curve name "edwards25519" (what OpenSC 0.23 writes).
const ED25519_OID = Buffer.from('06032b6570', 'hex');
const ED25519_NAME = Buffer.concat([Buffer.from([0x13, 12]), Buffer.from('edwards25519', 'ascii')]);

const trimPadding = (text: string) => text.replace(/[\s\0]+$/, '');

function matches(want: string | undefined, have: string): boolean {
  return want === undefined || want === trimPadding(have);
}

function libraryMatches(module: ModuleHandle, uri: TokenMatch): boolean {
  if (
    uri.libraryManufacturer === undefined &&
    uri.libraryDescription === undefined &&
    uri.libraryVersion === undefined
  )
    return true;
  const info = module.api.C_GetInfo();
  return (
    matches(uri.libraryManufacturer, info.manufacturerID) &&
    matches(uri.libraryDescription, info.libraryDescription) &&
    (uri.libraryVersion === undefined ||
      (uri.libraryVersion.major === info.libraryVersion.major &&
        uri.libraryVersion.minor === info.libraryVersion.minor))
  );
}

/** The one slot whose present token matches the URI. */
export function findSlot(module: ModuleHandle, location: KeyLocation): Handle {
  const { uri, name } = location;
  if (!libraryMatches(module, uri))
    throw new TokenKeyError(`${name}: the module ${module.path} is not the library the URI names`);
  const found: Handle[] = [];
  for (const slot of module.api.C_GetSlotList(true)) {
    if (uri.slotId !== undefined && slot.readUIntLE(0, Math.min(slot.length, 6)) !== uri.slotId) continue;
    if (uri.slotDescription !== undefined || uri.slotManufacturer !== undefined) {
      const info = module.api.C_GetSlotInfo(slot);
      if (!matches(uri.slotDescription, info.slotDescription)) continue;
      if (!matches(uri.slotManufacturer, info.manufacturerID)) continue;
    }
    const token = module.api.C_GetTokenInfo(slot);
    if (
      matches(uri.token, token.label) &&
      matches(uri.manufacturer, token.manufacturerID) &&
      matches(uri.serial, token.serialNumber) &&
      matches(uri.model, token.model)
    )
      found.push(slot);
  }
  if (found.length === 0)
    throw new TokenKeyError(`${name}: no such token is present (module ${module.path})`);
  if (found.length > 1)
    throw new TokenKeyError(`${name}: ${found.length} tokens match; name one with token= or serial=`);
  return found[0] as Handle;
}

function keyTemplate(uri: Pkcs11Uri, keyClass: number): Attribute[] {
  const template: Attribute[] = [{ type: CK.CKA_CLASS, value: keyClass }];
  if (uri.object !== undefined) template.push({ type: CK.CKA_LABEL, value: uri.object });
  if (uri.id !== undefined) template.push({ type: CK.CKA_ID, value: Buffer.from(uri.id) });
  return template;
}

/** The objects of one class matching the URI's label and id. */
export function findKeyObjects(
  module: ModuleHandle,
  session: Handle,
  uri: Pkcs11Uri,
  keyClass: number,
): Handle[] {
  module.api.C_FindObjectsInit(session, keyTemplate(uri, keyClass));
  try {
    return module.api.C_FindObjects(session, 2);
  } finally {
    module.api.C_FindObjectsFinal(session);
  }
}

function onlyObject(objects: Handle[], what: string, location: KeyLocation): Handle {
  if (objects.length === 1) return objects[0] as Handle;
  if (objects.length > 1)
    throw new TokenKeyError(`${location.name}: several ${what}s match; name one with object= and id=`);
  const hint = location.pin === undefined ? ' (no PIN was given: set pin-source or PKCS11_PIN)' : '';
  throw new TokenKeyError(`${location.name}: no ${what} of that name in the token${hint}`);
}

/** The 32-byte key from CKA_EC_POINT: an OCTET STRING (PKCS#11 3.0) or, from some tokens, the bare bytes. */
export function decodeEdwardsPoint(point: Buffer): Uint8Array | undefined {
  if (point.length === 34 && point[0] === 0x04 && point[1] === 32) return new Uint8Array(point.subarray(2));
  if (point.length === 32) return new Uint8Array(point);
  return undefined;
}

export function isEd25519Params(params: Buffer): boolean {
  return params.equals(ED25519_OID) || params.equals(ED25519_NAME);
}

function attribute(module: ModuleHandle, session: Handle, object: Handle, type: number): Buffer {
  const [got] = module.api.C_GetAttributeValue(session, object, [{ type }]);
  if (!Buffer.isBuffer(got?.value)) throw new Error(`attribute ${type} came back empty`);
  return got.value;
}

/** Logs in with the location's PIN; a session already logged in (another key of this token) is fine. */
function logIn(module: ModuleHandle, session: Handle, location: KeyLocation, token: string): void {
  if (location.pin === undefined) return;
  try {
    module.api.C_Login(session, CK.CKU_USER, location.pin);
  } catch (err) {
    const code = pkcs11ReturnName(err);
    if (code === 'CKR_USER_ALREADY_LOGGED_IN') return;
    if (code === 'CKR_PIN_INCORRECT' || code === 'CKR_PIN_LOCKED' || code === 'CKR_PIN_EXPIRED')
      throw new TokenKeyError(
        `${location.name}: token '${token}' refused the PIN (${code}); it is not tried again, since tokens lock a PIN after a few failures`,
        { permanent: true },
      );
    throw new TokenKeyError(
      `${location.name}: login to token '${token}' failed (${describePkcs11Failure(err)})`,
    );
  }
}

/** Opens a session on the URI's token and finds its Ed25519 key pair there. */
export function openTokenSession(module: ModuleHandle, location: KeyLocation, rw = false): TokenSession {
  const slot = findSlot(module, location);
  const token = trimPadding(module.api.C_GetTokenInfo(slot).label);
  if (!module.api.C_GetMechanismList(slot).includes(CK.CKM_EDDSA))
    throw new TokenKeyError(
      `${location.name}: token '${token}' does not offer CKM_EDDSA (Ed25519 signatures, PKCS#11 3.0)`,
    );
  const flags = CK.CKF_SERIAL_SESSION | (rw ? CK.CKF_RW_SESSION : 0);
  const session = module.api.C_OpenSession(slot, flags);
  try {
    logIn(module, session, location, token);
    const privateKey = onlyObject(
      findKeyObjects(module, session, location.uri, CK.CKO_PRIVATE_KEY),
      'private key',
      location,
    );
    const keyType = attribute(module, session, privateKey, CK.CKA_KEY_TYPE).readUIntLE(0, 4);
    if (keyType !== CK.CKK_EC_EDWARDS)
      throw new TokenKeyError(`${location.name}: the key is not an Edwards-curve key (CKK_EC_EDWARDS)`);
    const publicObject = onlyObject(
      findKeyObjects(module, session, location.uri, CK.CKO_PUBLIC_KEY),
      'public key',
      location,
    );
    const params = attribute(module, session, publicObject, CK.CKA_EC_PARAMS);
    if (!isEd25519Params(params))
      throw new TokenKeyError(`${location.name}: the key is not on edwards25519 (Ed448 is not used here)`);
    const point = decodeEdwardsPoint(attribute(module, session, publicObject, CK.CKA_EC_POINT));
    if (point === undefined) throw new TokenKeyError(`${location.name}: the public key is not 32 bytes`);
    let publicKey: Uint8Array;
    try {
      publicKey = parsePublicKey(toHex(point));
    } catch (err) {
      throw new TokenKeyError(
        `${location.name}: the token's public key is refused: ${(err as Error).message}`,
      );
    }
    return { session, privateKey, publicKey, generation: module.generation };
  } catch (err) {
    closeTokenSession(module, session);
    throw err;
  }
}

export function closeTokenSession(module: ModuleHandle, session: Handle): void {
  try {
    module.api.C_CloseSession(session);
  } catch {
    // A session of a vanished token or an earlier initialization is already gone.
  }
}

/** Signs inside the token (CKM_EDDSA, pure Ed25519: no hash, no context). */
export function signInToken(module: ModuleHandle, open: TokenSession, message: Uint8Array): Uint8Array {
  module.api.C_SignInit(open.session, { mechanism: CK.CKM_EDDSA }, open.privateKey);
  return new Uint8Array(module.api.C_Sign(open.session, Buffer.from(message), Buffer.alloc(64)));
}

/** The private key's protection as the token reports it (what `keygen --pkcs11` promises, and tests read back). */
export function readKeyProtection(
  module: ModuleHandle,
  open: TokenSession,
): { sensitive: boolean; extractable: boolean; alwaysSensitive: boolean; neverExtractable: boolean } {
  const flag = (type: number) => attribute(module, open.session, open.privateKey, type)[0] === 1;
  return {
    sensitive: flag(CK.CKA_SENSITIVE),
    extractable: flag(CK.CKA_EXTRACTABLE),
    alwaysSensitive: flag(CK.CKA_ALWAYS_SENSITIVE),
    neverExtractable: flag(CK.CKA_NEVER_EXTRACTABLE),
  };
}

/**
 * Makes an Ed25519 pair in the token: the private half sensitive and never extractable, both halves labelled
 * and identified as the URI says. Refuses when the URI already names a key there (nothing is overwritten).
 */
export function generateTokenKeyPair(module: ModuleHandle, location: KeyLocation, id: Uint8Array): void {
  const slot = findSlot(module, location);
  const session = module.api.C_OpenSession(slot, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
  try {
    logIn(module, session, location, trimPadding(module.api.C_GetTokenInfo(slot).label));
    const uri = { ...location.uri, id: location.uri.id ?? id };
    const taken =
      findKeyObjects(module, session, location.uri, CK.CKO_PRIVATE_KEY).length +
      findKeyObjects(module, session, location.uri, CK.CKO_PUBLIC_KEY).length;
    if (taken > 0) throw new TokenKeyError(`${location.name}: the token already holds a key of that name`);
    const common: Attribute[] = [
      { type: CK.CKA_TOKEN, value: true },
      { type: CK.CKA_ID, value: Buffer.from(uri.id) },
      ...(uri.object === undefined ? [] : [{ type: CK.CKA_LABEL, value: uri.object }]),
    ];
    module.api.C_GenerateKeyPair(
      session,
      { mechanism: CK.CKM_EC_EDWARDS_KEY_PAIR_GEN },
      [...common, { type: CK.CKA_EC_PARAMS, value: ED25519_OID }, { type: CK.CKA_VERIFY, value: true }],
      [
        ...common,
        { type: CK.CKA_PRIVATE, value: true },
        { type: CK.CKA_SIGN, value: true },
        { type: CK.CKA_SENSITIVE, value: true },
        { type: CK.CKA_EXTRACTABLE, value: false },
      ],
    );
  } finally {
    closeTokenSession(module, session);
  }
}
