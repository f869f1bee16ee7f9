// The native PKCS#11 binding (pkcs11js, an optional dependency): loaded only when a `pkcs11:` key is named, so
// `npm install`, the demo and every file key work without it. The few calls this project makes are typed here, so
// the code typechecks whether or not the binding was built on this machine.
import { createRequire } from 'node:module';

export type Handle = Buffer;
export interface Attribute {
  type: number;
  value?: number | boolean | string | Buffer;
}

/** The calls of pkcs11js's PKCS11 class that src/keys uses (all synchronous). */
export interface Pkcs11Api {
  load(path: string): void;
  C_Initialize(): void;
  C_Finalize(): void;
  C_GetInfo(): { libraryDescription: string; manufacturerID: string; libraryVersion: Version };
  C_GetSlotList(tokenPresent?: boolean): Handle[];
  C_GetSlotInfo(slot: Handle): { slotDescription: string; manufacturerID: string };
  C_GetTokenInfo(slot: Handle): {
    label: string;
    manufacturerID: string;
    model: string;
    serialNumber: string;
    flags: number;
  };
  C_GetMechanismList(slot: Handle): number[];
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_FindObjectsInit(session: Handle, template: Attribute[]): void;
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, object: Handle, template: Attribute[]): Attribute[];
  C_SignInit(session: Handle, mechanism: { mechanism: number }, key: Handle): void;
  C_Sign(session: Handle, data: Buffer, out: Buffer): Buffer;
  C_GenerateKeyPair(
    session: Handle,
    mechanism: { mechanism: number },
    publicTemplate: Attribute[],
    privateTemplate: Attribute[],
  ): { publicKey: Handle; privateKey: Handle };
}
interface Version {
  major: number;
  minor: number;
}

/** PKCS#11 constants (v2.40 and, for Ed25519, v3.0), by their names in the standard. */
export const CK = {
  CKF_SERIAL_SESSION: 0x4,
  CKF_RW_SESSION: 0x2,
  CKF_LOGIN_REQUIRED: 0x4,
  CKU_USER: 1,
  CKO_PUBLIC_KEY: 2,
  CKO_PRIVATE_KEY: 3,
  CKA_CLASS: 0x0,
  CKA_TOKEN: 0x1,
  CKA_PRIVATE: 0x2,
  CKA_LABEL: 0x3,
  CKA_KEY_TYPE: 0x100,
  CKA_ID: 0x102,
  CKA_SENSITIVE: 0x103,
  CKA_SIGN: 0x108,
  CKA_VERIFY: 0x10a,
  CKA_EXTRACTABLE: 0x162,
  CKA_NEVER_EXTRACTABLE: 0x164,
  CKA_ALWAYS_SENSITIVE: 0x165,
  CKA_EC_PARAMS: 0x180,
  CKA_EC_POINT: 0x181,
  CKK_EC_EDWARDS: 0x40,
  CKM_EC_EDWARDS_KEY_PAIR_GEN: 0x1055,
  CKM_EDDSA: 0x1057,
} as const;

/** Return values the code tells apart, by name (pkcs11js puts the name in the error's message). */
export type Pkcs11ReturnName =
  | 'CKR_PIN_INCORRECT'
  | 'CKR_PIN_LOCKED'
  | 'CKR_PIN_EXPIRED'
  | 'CKR_USER_ALREADY_LOGGED_IN'
  | 'CKR_CRYPTOKI_ALREADY_INITIALIZED'
  | 'CKR_CRYPTOKI_NOT_INITIALIZED';

/** The CKR_ name of a PKCS#11 failure, or undefined for any other error. */
export function pkcs11ReturnName(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : '';
  return /^CKR_[A-Z0-9_]+/.exec(message)?.[0];
}

/** What a failure says in one line: the CKR_ name when the token gave one. */
export function describePkcs11Failure(err: unknown): string {
  return pkcs11ReturnName(err) ?? (err instanceof Error ? err.message : String(err));
}

export const BINDING_PACKAGE = 'pkcs11js';

/** A new binding instance; `pkg` is the package to load (tests name one that is absent). */
export function loadPkcs11Binding(pkg: string = BINDING_PACKAGE): Pkcs11Api {
  let binding: { PKCS11: new () => Pkcs11Api };
  try {
    binding = createRequire(import.meta.url)(pkg) as typeof binding;
  } catch (err) {
    throw new Error(
      `PKCS#11 keys need the optional package ${pkg}, which is not installed or did not build here ` +
        `(${(err as Error).message.split('\n')[0]}): run 'npm install ${pkg}' (it compiles with node-gyp: python3, make, a C++ compiler)`,
    );
  }
  return new binding.PKCS11();
}
