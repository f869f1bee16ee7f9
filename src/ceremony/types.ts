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

export type CeremonyState = 'draft' | 'open' | 'closed' | 'finalized';
export type CircuitStatus = 'preparing' | 'ready' | 'failed';
export type TurnState = 'waiting' | 'active' | 'verifying' | 'done' | 'expired' | 'rejected' | 'cancelled';
export type ContributionState = 'verifying' | 'accepted' | 'rejected';

export interface CircuitView {
  name: string;
  position: number;
  status: CircuitStatus;
  error: string | null;
  constraints: number | null;
  power: number | null;
  r1csSha256: string;
  ptauSha256: string;
  initialZkeySha256: string | null;
  contributionIndex: number;
  latestZkeySha256: string | null;
  finalZkeySha256: string | null;
  verificationKeySha256: string | null;
  verifierSolSha256: string | null;
  /** The participant whose turn it is (or whose upload is being verified), if any. */
  currentParticipant: string | null;
  /** When the active turn ends unless its holder uploads; null when no turn is active. */
  turnDeadline: string | null;
  /** Participants waiting for a turn on this circuit. */
  waiting: number;
}

export interface FinalizationView {
  status: 'running' | 'done' | 'failed';
  beaconHex: string;
  beaconSource: string;
  iterationsExp: number;
  error: string | null;
}

export interface CeremonyView {
  id: string;
  title: string;
  state: CeremonyState;
  timeoutSeconds: number;
  startsAt: string | null;
  endsAt: string | null;
  openRegistration: boolean;
  coordinatorKey: string;
  queueLength: number;
  transcriptSize: number;
  circuits: CircuitView[];
  finalization: FinalizationView | null;
}

export interface ParticipantCircuitStatus {
  circuit: string;
  state: 'waiting' | 'active' | 'verifying' | 'done' | 'none';
  /** Turns before this participant's on this circuit; 0 when it is their turn. */
  position: number | null;
  deadline: string | null;
  latestIndex: number;
  latestZkeySha256: string | null;
  contributionId: string | null;
  lastRejection: { code: string; message: string } | null;
}

export interface ParticipantStatus {
  participantId: string;
  name: string;
  publicKey: string;
  inQueue: boolean;
  heartbeatIntervalSeconds: number;
  circuits: ParticipantCircuitStatus[];
}

export interface Participant {
  ceremonyId: string;
  participantId: string;
  name: string;
  publicKey: string;
}

export interface Receipt {
  version: 1;
  ceremony: string;
  circuit: string;
  index: number;
  seq: number;
  entry: string;
  leafHash: string;
  treeSize: number;
  inclusionProof: string[];
  checkpoint: string;
  logKey: string;
}

export interface ContributionView {
  contributionId: string;
  circuit: string;
  index: number;
  participantId: string;
  prevZkeySha256: string;
  zkeySha256: string;
  contributionHash: string | null;
  state: ContributionState;
  reason: { code: string; message: string } | null;
  receipt: Receipt | null;
}
