// Identifier patterns and numeric bounds, written once and used by the server (route schemas and domain checks),
// the CLI and the auditor, so that what one side accepts the others accept too.

/** Ceremony ids name directories and URL segments: 1-63 lowercase letters, digits or dashes. */
export const CEREMONY_ID_SOURCE = '^[a-z0-9][a-z0-9-]{0,62}$';
export const ceremonyIdPattern = new RegExp(CEREMONY_ID_SOURCE);
export const CEREMONY_ID_RULE = 'ceremony id must be 1-63 lowercase letters, digits or dashes';

/** Circuit names name published directories: 1-63 lowercase letters, digits, dashes or underscores. */
export const CIRCUIT_NAME_SOURCE = '^[a-z0-9][a-z0-9_-]{0,62}$';
export const circuitNamePattern = new RegExp(CIRCUIT_NAME_SOURCE);
export const CIRCUIT_NAME_RULE = 'circuit name must be 1-63 lowercase letters, digits, dashes or underscores';

/** Longest id or name in a URL path; a longer one cannot exist, so routes refuse it before any lookup. */
export const MAX_ID_LENGTH = 63;

export const MAX_TITLE_LENGTH = 200;
export const MAX_PARTICIPANT_NAME_LENGTH = 100;

/** Turn deadline: how long a participant may hold a circuit before uploading. */
export const MIN_TURN_TIMEOUT_SECONDS = 1;
export const MAX_TURN_TIMEOUT_SECONDS = 86_400;
export const DEFAULT_TURN_TIMEOUT_SECONDS = 600;

/** Beacon: 1-64 bytes of lowercase hex, applied with 2^iterationsExp hash iterations. */
export const BEACON_HEX_SOURCE = '^([0-9a-f]{2}){1,64}$';
export const beaconHexPattern = new RegExp(BEACON_HEX_SOURCE);
export const MAX_BEACON_SOURCE_LENGTH = 500;
export const MIN_ITERATIONS_EXP = 10;
/** snarkjs allows 2^63 hash iterations; every auditor pays them again, so the exponent is capped. */
export const MAX_ITERATIONS_EXP = 28;

export const SHA256_HEX_SOURCE = '^[0-9a-f]{64}$';
export const sha256HexPattern = new RegExp(SHA256_HEX_SOURCE);
