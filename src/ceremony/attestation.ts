// The statement a participant signs about their contribution (docs/PROTOCOL.md section 6).
import { canonicalize } from '../transcript/canonical-json.js';

export const ATTESTATION_PREFIX = 'ceremony-contribution/v1\n';
export const MAX_STATEMENT_LENGTH = 1000;

export interface AttestationFields {
  ceremony: string;
  circuit: string;
  index: number;
  prevZkeySha256: string;
  zkeySha256: string;
  /** The 64-byte BLAKE2b contribution hash snarkjs prints, as 128 lowercase hex characters. */
  contributionHash: string;
  statement?: string;
}

/** The exact bytes signed with Ed25519: the prefix, then the canonical JSON of the fields. */
export function attestationMessage(fields: AttestationFields): Uint8Array {
  const { statement, ...rest } = fields;
  if (statement !== undefined && statement.length > MAX_STATEMENT_LENGTH) {
    throw new RangeError(`attestationMessage: statement longer than ${MAX_STATEMENT_LENGTH} characters`);
  }
  const body = statement === undefined ? rest : { ...rest, statement };
  return new TextEncoder().encode(ATTESTATION_PREFIX + canonicalize(body));
}
