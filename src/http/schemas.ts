// TypeBox schemas shared by several routes (OpenAPI is generated from them).
import { Type } from '@sinclair/typebox';
import { CEREMONY_ID_SOURCE, CIRCUIT_NAME_SOURCE, MAX_INT32, PARTICIPANT_ID_SOURCE } from '../limits.js';

export const Hex32 = Type.String({ pattern: '^[0-9a-f]{64}$', description: '32 bytes, lowercase hex' });
export const Hex64 = Type.String({ pattern: '^[0-9a-f]{128}$', description: '64 bytes, lowercase hex' });

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

// Identifiers in paths have the shapes they were created with; anything else is a 400 before any query runs.
export const CeremonyId = Type.String({ pattern: CEREMONY_ID_SOURCE });
export const CircuitName = Type.String({ pattern: CIRCUIT_NAME_SOURCE });
export const ContributionId = Type.String({ pattern: '^[0-9a-f]{1,64}$' });
export const ParticipantId = Type.String({ pattern: PARTICIPANT_ID_SOURCE, description: 'p1, p2, …' });

export const CeremonyParams = Type.Object({ id: CeremonyId });
export const CircuitParams = Type.Object({ id: CeremonyId, name: CircuitName });

/** Tree sizes and sequence numbers live in integer columns: larger values are a 400, not a database error. */
export const TreeSize = Type.Integer({ minimum: 1, maximum: MAX_INT32 });
export const Seq = Type.Integer({ minimum: 0, maximum: MAX_INT32 - 1 });

// The API shapes are the domain's own schemas (src/ceremony/types.ts): one schema per shape, types via Static<>.
export {
  CeremonyView,
  CircuitView,
  ContributionView,
  ParticipantStatus,
  ParticipantView,
  Receipt,
} from '../ceremony/types.js';
