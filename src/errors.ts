// The closed catalogue of errors the coordinator reports. One error handler renders them (src/http/error-handler.ts).

export const errorCatalogue = {
  BAD_REQUEST: 400,
  INVALID_PUBLIC_KEY: 400,
  WEAK_PUBLIC_KEY: 400,
  INVALID_SIGNATURE: 401,
  UNAUTHENTICATED: 401,
  NONCE_UNKNOWN: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CEREMONY_EXISTS: 409,
  CIRCUIT_EXISTS: 409,
  PARTICIPANT_EXISTS: 409,
  COORDINATOR_EXISTS: 409,
  /** The act needs M coordinators' signed approvals (POST /v1/ceremonies/:id/approvals). */
  APPROVALS_REQUIRED: 409,
  /** This coordinator already approved the same request. */
  APPROVAL_EXISTS: 409,
  WRONG_STATE: 409,
  NOT_YOUR_TURN: 409,
  CIRCUIT_NOT_READY: 409,
  UPLOAD_IN_PROGRESS: 409,
  UPLOAD_OFFSET_MISMATCH: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UPLOAD_INCOMPLETE: 400,
  UPLOAD_TIMEOUT: 408,
  /** A request body that is not an upload did not arrive within REQUEST_BODY_SECONDS. */
  REQUEST_TIMEOUT: 408,
  INVALID_ZKEY: 422,
  INVALID_R1CS: 422,
  INVALID_PTAU: 422,
  ZKEY_WRONG_CIRCUIT: 422,
  ZKEY_NOT_EXTENDING: 422,
  ZKEY_UNCHANGED: 422,
  ZKEY_BEACON_FROM_PARTICIPANT: 422,
  ZKEY_MULTIPLE_CONTRIBUTIONS: 422,
  /** The zkey header contradicts its own last contribution (delta1 is not that contribution's deltaAfter). */
  ZKEY_HEADER_MISMATCH: 422,
  /** snarkjs verifyFromInit against the initial zkey and ptau failed. */
  ZKEY_VERIFICATION_FAILED: 422,
  /** Another contribution was accepted on the circuit while this one was being verified. */
  CIRCUIT_MOVED_ON: 409,
  VERIFIER_ERROR: 500,
  /** The step verifier accepted a zkey that snarkjs verifyFromInit refused: the circuit is halted (docs/VERIFIER.md). */
  VERIFIER_DISAGREEMENT: 422,
  BAD_ATTESTATION: 422,
  BAD_COSIGNATURE: 422,
  /** An approval's signature does not verify for the caller's key over the request. */
  BAD_APPROVAL: 422,
  INCONSISTENT_CHECKPOINT: 500,
  TOO_MANY_CONNECTIONS: 429,
  BACKUP_INVALID: 422,
  RESTORE_TARGET_NOT_EMPTY: 409,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  INSUFFICIENT_STORAGE: 507,
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class CeremonyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds a client should wait before trying again (sent as `Retry-After`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: { retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'CeremonyError';
    this.code = code;
    this.status = errorCatalogue[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isCeremonyError(err: unknown): err is CeremonyError {
  return err instanceof CeremonyError;
}
