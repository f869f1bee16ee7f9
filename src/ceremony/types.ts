// Glossary of the ceremony domain.
//
// ceremony     — one multi-party setup run: a title, a set of circuits, participants, a transcript.
// circuit      — an r1cs + ptau pair whose zkey participants extend in turn; `contribution index` 0 is the initial zkey.
// round        — the window between `ceremony.opened` and `ceremony.closed` when turns are handed out.
// participant  — an operator identified by an Ed25519 key (allowlisted, or self-registered when registration is open).
// queue        — participants waiting for turns, in join order.
// turn         — one participant's exclusive right to extend one circuit, with a deadline.
// contribution — a zkey uploaded during a turn: verifying, then accepted or rejected.
// attestation  — the participant's Ed25519 signature over their contribution's hashes.
// transcript   — the ceremony's append-only log of entries, hashed into a Merkle tree.
// entry        — one canonical-JSON record in the transcript.
// checkpoint   — a signed tree head (C2SP tlog-checkpoint) over the transcript.
// beacon       — public randomness fixed after the round closed, applied last to every circuit.
// receipt      — an accepted entry with its inclusion proof and the signed checkpoint that covers it.
// pass         — one participant's way through the circuits in order, from joining the queue; an expiry or a
//                rejection ends the pass (their later waiting turns are cancelled), joining again starts a new one.
// position     — three meanings: a circuit's `position` is its order in the ceremony (0 first); a turn's
//                `queue_pos` is its place in line (from one sequence); a participant's status `position` is how many
//                turns are ahead of theirs on that circuit (0 when it is their turn).
// index / idx  — a contribution's number on its circuit: 0 is the initial zkey, 1 the first contribution
//                (`idx` is the column name, `index` the API and transcript name); `contribution_index` on a circuit
//                is the index of its latest accepted zkey.
// seq          — an entry's place in the transcript (0 first); also the Merkle leaf index.
// timeouts     — three clocks: the turn deadline (ceremony `timeoutSeconds`, upload before it), the heartbeat grace
//                (config, a participant silent longer loses their turn or place), and the job limit (config
//                `jobTimeoutSeconds`, a snarkjs child running longer is killed and the job retried or settled).
// job          — background work kept in the database (circuit setup, contribution verification, finalization):
//                retried with back-off, then settled (the failure recorded publicly).
//
// Each API shape below is one TypeBox schema; its TypeScript type is derived with Static<>, and the route schemas
// in src/http use the same objects.

import { type Static, type TSchema, Type } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const CeremonyState = Type.Union([
  Type.Literal('draft'),
  Type.Literal('open'),
  Type.Literal('closed'),
  Type.Literal('finalized'),
]);
export type CeremonyState = Static<typeof CeremonyState>;
export const CircuitStatus = Type.Union([
  Type.Literal('preparing'),
  Type.Literal('ready'),
  Type.Literal('failed'),
]);
export type CircuitStatus = Static<typeof CircuitStatus>;
export type TurnState = 'waiting' | 'active' | 'verifying' | 'done' | 'expired' | 'rejected' | 'cancelled';
export const ContributionState = Type.Union([
  Type.Literal('verifying'),
  Type.Literal('accepted'),
  Type.Literal('rejected'),
]);
export type ContributionState = Static<typeof ContributionState>;

export const CircuitView = Type.Object({
  name: Type.String(),
  position: Type.Integer(),
  status: CircuitStatus,
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
  /** The participant whose turn it is (or whose upload is being verified), if any. */
  currentParticipant: Nullable(Type.String()),
  /** When the active turn ends unless its holder uploads; null when no turn is active. */
  turnDeadline: Nullable(Type.String()),
  /** Participants waiting for a turn on this circuit. */
  waiting: Type.Integer(),
});
export type CircuitView = Static<typeof CircuitView>;

export const FinalizationView = Type.Object({
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  beaconHex: Type.String(),
  beaconSource: Type.String(),
  iterationsExp: Type.Integer(),
  error: Nullable(Type.String()),
});
export type FinalizationView = Static<typeof FinalizationView>;

export const CeremonyView = Type.Object({
  id: Type.String(),
  title: Type.String(),
  state: CeremonyState,
  timeoutSeconds: Type.Integer(),
  startsAt: Nullable(Type.String()),
  endsAt: Nullable(Type.String()),
  openRegistration: Type.Boolean(),
  coordinatorKey: Type.String(),
  /** Distinct coordinators who must sign finalize, add/remove-coordinator and revoke-participant (1: any one). */
  approvalsRequired: Type.Integer({ minimum: 1 }),
  queueLength: Type.Integer(),
  transcriptSize: Type.Integer(),
  circuits: Type.Array(CircuitView),
  finalization: Nullable(FinalizationView),
  /**
   * The largest circuit (constraints) the web page may contribute to; larger ones need the CLI. Present on the
   * public reads (`GET /ceremonies/:id`, `GET /ceremonies`, the events stream); 0 when the server turned it off.
   */
  webContributeMaxConstraints: Type.Optional(Type.Integer()),
});
export type CeremonyView = Static<typeof CeremonyView>;

const Reason = Type.Object({ code: Type.String(), message: Type.String() });

export const ParticipantCircuitStatus = Type.Object({
  circuit: Type.String(),
  state: Type.Union([
    Type.Literal('waiting'),
    Type.Literal('active'),
    Type.Literal('verifying'),
    Type.Literal('done'),
    Type.Literal('none'),
  ]),
  /** Turns before this participant's on this circuit; 0 when it is their turn. */
  position: Nullable(Type.Integer()),
  deadline: Nullable(Type.String()),
  latestIndex: Type.Integer(),
  latestZkeySha256: Nullable(Type.String()),
  contributionId: Nullable(Type.String()),
  lastRejection: Nullable(Reason),
});
export type ParticipantCircuitStatus = Static<typeof ParticipantCircuitStatus>;

export const ParticipantStatus = Type.Object({
  participantId: Type.String(),
  name: Type.String(),
  publicKey: Type.String(),
  inQueue: Type.Boolean(),
  heartbeatIntervalSeconds: Type.Integer(),
  circuits: Type.Array(ParticipantCircuitStatus),
});
export type ParticipantStatus = Static<typeof ParticipantStatus>;

export const ParticipantView = Type.Object({
  participantId: Type.String(),
  name: Type.String(),
  publicKey: Type.String(),
});

/** A registered participant as the domain passes it around (not an API shape: the API shows ParticipantView). */
export interface Participant {
  ceremonyId: string;
  participantId: string;
  name: string;
  publicKey: string;
}

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
export type Receipt = Static<typeof Receipt>;

export const ContributionView = Type.Object({
  contributionId: Type.String(),
  circuit: Type.String(),
  index: Type.Integer(),
  participantId: Type.String(),
  prevZkeySha256: Type.String(),
  zkeySha256: Type.String(),
  contributionHash: Nullable(Type.String()),
  state: ContributionState,
  reason: Nullable(Reason),
  receipt: Nullable(Receipt),
});
export type ContributionView = Static<typeof ContributionView>;
