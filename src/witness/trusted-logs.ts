// The logs a witness trusts. `--log VKEY` trusts the key for the origin equal to its name and every origin under
// `<name>/` (one coordinator signs all its ceremonies' logs with one key); `--log ORIGIN=VKEY` for one origin exactly.
import { equalBytes } from '@noble/curves/utils.js';
import { makeSignatureVerifier } from '../crypto/signature-verifier.js';
import { type NoteSignature, parseVerifierKey } from '../transcript/note.js';

export interface TrustedLog {
  /** The origin, or the origin prefix when `exact` is false. */
  origin: string;
  exact: boolean;
  vkey: string;
  name: string;
  keyId: Uint8Array;
  verifies: (signature: Uint8Array, message: Uint8Array) => boolean;
}

export function parseTrustedLog(spec: string): TrustedLog {
  const text = spec.trim();
  const eq = text.indexOf('=');
  // A vkey's base64 may end in '=': only an '=' before the first '+' separates an origin.
  const hasOrigin = eq > 0 && eq < text.indexOf('+');
  const vkey = hasOrigin ? text.slice(eq + 1) : text;
  let key: ReturnType<typeof parseVerifierKey>;
  try {
    key = parseVerifierKey(vkey);
  } catch (err) {
    throw new Error(`--log ${text.slice(0, 80)}: ${(err as Error).message}`);
  }
  return {
    origin: hasOrigin ? text.slice(0, eq) : key.name,
    exact: hasOrigin,
    vkey,
    name: key.name,
    keyId: key.keyId,
    verifies: makeSignatureVerifier(key.publicKey),
  };
}

export function logsForOrigin(logs: readonly TrustedLog[], origin: string): TrustedLog[] {
  return logs.filter((log) => log.origin === origin || (!log.exact && origin.startsWith(`${log.origin}/`)));
}

/**
 * The note's signatures by the trusted keys when at least one verifies and none fails (C2SP signed-note: a failing
 * signature by a known key makes the note malformed); null otherwise. Signatures by other keys are ignored.
 */
export function trustedSignatures(
  logs: readonly TrustedLog[],
  body: Uint8Array,
  signatures: readonly NoteSignature[],
): NoteSignature[] | null {
  const known = signatures.filter((s) =>
    logs.some((log) => log.name === s.name && equalBytes(log.keyId, s.keyId)),
  );
  const valid = known.filter((s) =>
    logs.some(
      (log) => log.name === s.name && equalBytes(log.keyId, s.keyId) && log.verifies(s.signature, body),
    ),
  );
  return valid.length > 0 && valid.length === known.length ? valid : null;
}
