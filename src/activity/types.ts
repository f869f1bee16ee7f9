// A ceremony's activity: what its page draws (the queue over time, each verification's length). Glossary:
// - turn time: when a turn joined the queue, became active, and ended (and how), without who held it;
// - verification: one uploaded contribution, when it arrived, when it was decided, and the verifier's own time.
// Who contributed and when each turn ended are in the transcript; this adds what only the coordinator saw.
import { type Static, Type } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const TurnTime = Type.Object({
  circuit: Type.String(),
  state: Type.String({ description: 'waiting, active, verifying, done, expired, rejected or cancelled' }),
  queuedAt: Type.String(),
  startedAt: Nullable(Type.String()),
  endedAt: Nullable(Type.String()),
});

export const VerificationTime = Type.Object({
  circuit: Type.String(),
  index: Type.Integer(),
  state: Type.String({ description: 'verifying, accepted or rejected' }),
  uploadedAt: Type.String(),
  decidedAt: Nullable(Type.String()),
  verifyMs: Type.Union([Type.Integer(), Type.Null()]),
});

export const ActivityView = Type.Object({
  ceremony: Type.String(),
  /** The server's clock when the view was read: the right end of the pictures. */
  now: Type.String(),
  /** At most ACTIVITY_MAX_ITEMS of each list, the newest; true when older ones were left out. */
  truncated: Type.Boolean(),
  turns: Type.Array(TurnTime),
  verifications: Type.Array(VerificationTime),
});
export type ActivityView = Static<typeof ActivityView>;
