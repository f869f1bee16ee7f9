// TypeBox schemas shared by several routes (OpenAPI is generated from them).
import { Type } from '@sinclair/typebox';
import { MAX_ID_LENGTH } from '../limits.js';

export const Hex32 = Type.String({ pattern: '^[0-9a-f]{64}$', description: '32 bytes, lowercase hex' });
export const Hex64 = Type.String({ pattern: '^[0-9a-f]{128}$', description: '64 bytes, lowercase hex' });

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

export const CeremonyParams = Type.Object({ id: Type.String({ maxLength: MAX_ID_LENGTH }) });
export const CircuitParams = Type.Object({
  id: Type.String({ maxLength: MAX_ID_LENGTH }),
  name: Type.String({ maxLength: MAX_ID_LENGTH }),
});

// The API shapes are the domain's own schemas (src/ceremony/types.ts): one schema per shape, types via Static<>.
export {
  CeremonyView,
  CircuitView,
  ContributionView,
  ParticipantStatus,
  ParticipantView,
  Receipt,
} from '../ceremony/types.js';
