// TypeBox schemas shared by several routes (OpenAPI is generated from them).
import { type TSchema, Type } from '@sinclair/typebox';

export const Hex32 = Type.String({ pattern: '^[0-9a-f]{64}$', description: '32 bytes, lowercase hex' });
export const Hex64 = Type.String({ pattern: '^[0-9a-f]{128}$', description: '64 bytes, lowercase hex' });

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

// Identifiers in paths have the shapes they were created with; anything else is a 400 before any query runs.
export const CeremonyId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
export const CircuitName = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' });
export const ContributionId = Type.String({ pattern: '^[0-9a-f]{1,64}$' });

export const CeremonyParams = Type.Object({ id: CeremonyId });
export const CircuitParams = Type.Object({ id: CeremonyId, name: CircuitName });

export const ParticipantId = Type.String({ pattern: '^p[1-9][0-9]{0,8}$', description: 'p1, p2, …' });

/** Bound of the database's integer columns (tree sizes, sequence numbers): larger values are 400, not a 500. */
export const MAX_INT32 = 2 ** 31 - 1;
export const TreeSize = Type.Integer({ minimum: 1, maximum: MAX_INT32 });
export const Seq = Type.Integer({ minimum: 0, maximum: MAX_INT32 - 1 });

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const CircuitView = Type.Object({
  name: Type.String(),
  position: Type.Integer(),
  status: Type.Union([Type.Literal('preparing'), Type.Literal('ready'), Type.Literal('failed')]),
  error: Nullable(Type.String()),
  constraints: Nullable(Type.Integer()),
  power: Nullable(Type.Integer()),
  r1csSha256: Type.String(),
  ptauSha256: Type.String(),
  initialZkeySha256: Nullable(Type.String()),
  contributionIndex: Type.Integer(),
  latestZkeySha256: Nullable(Type.String()),
  finalZkeySha256: Nullable(Type.String()),
  verificationKeySha256: Nullable(Type.String()),
  verifierSolSha256: Nullable(Type.String()),
  currentParticipant: Nullable(Type.String()),
});

export const CeremonyView = Type.Object({
  id: Type.String(),
  title: Type.String(),
  state: Type.Union([
    Type.Literal('draft'),
    Type.Literal('open'),
    Type.Literal('closed'),
    Type.Literal('finalized'),
  ]),
  timeoutSeconds: Type.Integer(),
  startsAt: Nullable(Type.String()),
  endsAt: Nullable(Type.String()),
  openRegistration: Type.Boolean(),
  coordinatorKey: Type.String(),
  queueLength: Type.Integer(),
  transcriptSize: Type.Integer(),
  circuits: Type.Array(CircuitView),
  finalization: Nullable(
    Type.Object({
      status: Type.String(),
      beaconHex: Type.String(),
      beaconSource: Type.String(),
      iterationsExp: Type.Integer(),
      error: Nullable(Type.String()),
    }),
  ),
});

export const ParticipantView = Type.Object({
  participantId: Type.String(),
  name: Type.String(),
  publicKey: Type.String(),
});

export const ParticipantStatus = Type.Object({
  participantId: Type.String(),
  name: Type.String(),
  publicKey: Type.String(),
  inQueue: Type.Boolean(),
  heartbeatIntervalSeconds: Type.Integer(),
  circuits: Type.Array(
    Type.Object({
      circuit: Type.String(),
      state: Type.String(),
      position: Nullable(Type.Integer()),
      deadline: Nullable(Type.String()),
      latestIndex: Type.Integer(),
      latestZkeySha256: Nullable(Type.String()),
      contributionId: Nullable(Type.String()),
      lastRejection: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
    }),
  ),
});

export const Receipt = Type.Object({
  version: Type.Literal(1),
  ceremony: Type.String(),
  circuit: Type.String(),
  index: Type.Integer(),
  seq: Type.Integer(),
  entry: Type.String(),
  leafHash: Type.String(),
  treeSize: Type.Integer(),
  inclusionProof: Type.Array(Type.String()),
  checkpoint: Type.String(),
  logKey: Type.String(),
});

export const ContributionView = Type.Object({
  contributionId: Type.String(),
  circuit: Type.String(),
  index: Type.Integer(),
  participantId: Type.String(),
  prevZkeySha256: Type.String(),
  zkeySha256: Type.String(),
  contributionHash: Nullable(Type.String()),
  state: Type.String(),
  reason: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  receipt: Nullable(Receipt),
});
