// One ceremony's queue as the status board holds it in memory: participants, pending turns with each circuit's
// waiting line, and each participant's contributions. It is fed rows of turns, participants and contributions in
// their current state (the change feed of migration 004); feeding the same row again, or a newer state of it, is safe.
import { WaitingLine } from './waiting-line.js';

const PENDING = new Set(['waiting', 'active', 'verifying']);

export interface TurnFeedRow {
  id: number;
  circuit_name: string;
  participant_id: string;
  queue_pos: number;
  state: string;
  deadline: Date | null;
}

export interface ParticipantFeedRow {
  participant_id: string;
  name: string;
  public_key: string;
  revoked: boolean;
}

export interface ContributionFeedRow {
  id: string;
  circuit_name: string;
  participant_id: string;
  state: string;
  reason_code: string | null;
  reason_message: string | null;
  created_at: Date;
}

export interface LiveTurn {
  id: number;
  circuit: string;
  participantId: string;
  state: 'waiting' | 'active' | 'verifying';
  deadline: Date | null;
}

export interface LiveParticipant {
  participantId: string;
  name: string;
  publicKey: string;
  revoked: boolean;
}

/** A participant's contributions on one circuit, as the status shows them. */
export interface LiveContributions {
  acceptedId: string | null;
  verifyingId: string | null;
  rejection: { code: string; message: string; at: number } | null;
}

export class LiveQueue {
  readonly #byId = new Map<string, LiveParticipant>();
  readonly #byKey = new Map<string, LiveParticipant>();
  readonly #turns = new Map<number, LiveTurn>();
  readonly #lines = new Map<string, WaitingLine>();
  readonly #holders = new Map<string, LiveTurn>();
  readonly #pending = new Map<string, Map<string, LiveTurn>>();
  readonly #contributions = new Map<string, Map<string, LiveContributions>>();

  participantByKey(publicKey: string): LiveParticipant | undefined {
    return this.#byKey.get(publicKey);
  }

  /** Participants with at least one turn waiting, active or being verified. */
  get queueLength(): number {
    return this.#pending.size;
  }

  /** The turn holding the circuit (active or verifying), if any. */
  holderOf(circuit: string): LiveTurn | undefined {
    return this.#holders.get(circuit);
  }

  waitingOn(circuit: string): number {
    return this.#lines.get(circuit)?.size ?? 0;
  }

  pendingTurn(participantId: string, circuit: string): LiveTurn | undefined {
    return this.#pending.get(participantId)?.get(circuit);
  }

  /** Turns before this one on its circuit: the holder, then those waiting ahead; 0 for the holder. */
  position(turn: LiveTurn): number {
    if (turn.state !== 'waiting') return 0;
    const holder = this.#holders.has(turn.circuit) ? 1 : 0;
    return holder + (this.#lines.get(turn.circuit)?.ahead(turn.id) ?? 0);
  }

  contributionsOf(participantId: string, circuit: string): LiveContributions | undefined {
    return this.#contributions.get(participantId)?.get(circuit);
  }

  applyParticipant(row: ParticipantFeedRow): void {
    const old = this.#byId.get(row.participant_id);
    if (old && old.publicKey !== row.public_key) this.#byKey.delete(old.publicKey);
    const p = {
      participantId: row.participant_id,
      name: row.name,
      publicKey: row.public_key,
      revoked: row.revoked,
    };
    this.#byId.set(p.participantId, p);
    this.#byKey.set(p.publicKey, p);
  }

  applyTurn(row: TurnFeedRow): void {
    const old = this.#turns.get(row.id);
    if (old) this.#dropTurn(old);
    if (!PENDING.has(row.state)) return;
    const turn: LiveTurn = {
      id: row.id,
      circuit: row.circuit_name,
      participantId: row.participant_id,
      state: row.state as LiveTurn['state'],
      deadline: row.deadline,
    };
    this.#turns.set(turn.id, turn);
    let mine = this.#pending.get(turn.participantId);
    if (mine === undefined) {
      mine = new Map();
      this.#pending.set(turn.participantId, mine);
    }
    mine.set(turn.circuit, turn);
    if (turn.state === 'waiting') {
      let line = this.#lines.get(turn.circuit);
      if (line === undefined) {
        line = new WaitingLine();
        this.#lines.set(turn.circuit, line);
      }
      line.add(turn.id, row.queue_pos);
    } else {
      this.#holders.set(turn.circuit, turn);
    }
  }

  applyContribution(row: ContributionFeedRow): void {
    let mine = this.#contributions.get(row.participant_id);
    if (mine === undefined) {
      mine = new Map();
      this.#contributions.set(row.participant_id, mine);
    }
    const c = mine.get(row.circuit_name) ?? { acceptedId: null, verifyingId: null, rejection: null };
    mine.set(row.circuit_name, c);
    if (row.state === 'verifying') c.verifyingId = row.id;
    else if (c.verifyingId === row.id) c.verifyingId = null;
    if (row.state === 'accepted') c.acceptedId = row.id;
    const at = row.created_at.getTime();
    if (
      row.state === 'rejected' &&
      row.reason_code !== null &&
      (c.rejection === null || at >= c.rejection.at)
    ) {
      c.rejection = { code: row.reason_code, message: row.reason_message ?? '', at };
    }
  }

  #dropTurn(turn: LiveTurn): void {
    this.#turns.delete(turn.id);
    this.#lines.get(turn.circuit)?.remove(turn.id);
    if (this.#holders.get(turn.circuit)?.id === turn.id) this.#holders.delete(turn.circuit);
    const mine = this.#pending.get(turn.participantId);
    if (mine?.get(turn.circuit)?.id === turn.id) mine.delete(turn.circuit);
    if (mine?.size === 0) this.#pending.delete(turn.participantId);
  }
}
