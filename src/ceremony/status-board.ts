// The status board: what many clients read again and again (the ceremony view, each participant's status) served
// from memory. Each ceremony's board is loaded from the database once, then caught up after every committed change
// (`invalidate`, called from the after-commit hook `events.ceremonyChanged`) by reading only the rows whose
// change_seq (migration 004) moved: O(changes) per refresh, O(1) or O(log n) per read, nothing counted per request.
//
// Why change_seq is a safe cursor: every write to turns, participants and contributions of a ceremony holds the
// ceremony's row lock (`withCeremonyLock`), so their change numbers commit in increasing order per ceremony; a
// refresh never skips a row that commits later with a smaller number.
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import { type CircuitRow, readTranscriptSize, toCeremonyView } from './ceremonies.js';
import { type CeremonyRow, loadCeremony } from './ceremony-row.js';
import {
  type ContributionFeedRow,
  type LiveParticipant,
  LiveQueue,
  type ParticipantFeedRow,
  type TurnFeedRow,
} from './live-queue.js';
import type { CeremonyView, ParticipantCircuitStatus, ParticipantStatus } from './types.js';

interface Board {
  /** Bumped by every committed change; the board is current once `synced` reaches it. */
  generation: number;
  synced: number;
  refreshing: Promise<void> | undefined;
  queue: LiveQueue | undefined;
  /** Highest change_seq read so far. */
  cursor: number;
  ceremony: CeremonyRow | undefined;
  circuits: CircuitRow[];
  view: CeremonyView | undefined;
}

const TURN_COLUMNS = 'id, circuit_name, participant_id, queue_pos, state, deadline';
const PARTICIPANT_COLUMNS = 'participant_id, name, public_key, revoked_at IS NOT NULL AS revoked';
const CONTRIBUTION_COLUMNS =
  'id, circuit_name, participant_id, state, reason_code, reason_message, created_at';

type ParticipantIdentity = Pick<LiveParticipant, 'participantId' | 'name' | 'publicKey'>;

export class StatusBoard {
  readonly #boards = new Map<string, Board>();

  constructor(
    private readonly db: Queryable,
    private readonly heartbeatIntervalSeconds: number,
  ) {}

  /** A change to the ceremony committed: the next read catches up first. */
  invalidate(ceremonyId: string): void {
    const board = this.#boards.get(ceremonyId);
    if (board !== undefined) board.generation += 1;
  }

  /** Any ceremony may have changed (the change notifications were interrupted): every board catches up first. */
  invalidateAll(): void {
    for (const board of this.#boards.values()) board.generation += 1;
  }

  /** The ceremony's public view (what GET /v1/ceremonies/:id and the events stream send). */
  async view(ceremonyId: string): Promise<CeremonyView> {
    const board = await this.#current(ceremonyId);
    if (board.view === undefined) throw new Error(`StatusBoard.view: board of '${ceremonyId}' has no view`);
    return board.view;
  }

  /** The participant holding this key, refused like requireParticipant: unknown ceremony, stranger, revoked. */
  async participantByKey(ceremonyId: string, publicKey: string): Promise<LiveParticipant> {
    const board = await this.#current(ceremonyId);
    const p = board.queue?.participantByKey(publicKey);
    if (p === undefined)
      throw new CeremonyError('FORBIDDEN', `this key is not a participant of ceremony '${ceremonyId}'`);
    if (p.revoked)
      throw new CeremonyError(
        'FORBIDDEN',
        `a coordinator revoked this key's part in ceremony '${ceremonyId}'`,
      );
    return p;
  }

  /** Queue position, turn, deadline and contributions per circuit, from memory. */
  async participantStatus(ceremonyId: string, p: ParticipantIdentity): Promise<ParticipantStatus> {
    const { participantId } = p;
    const board = await this.#current(ceremonyId);
    const queue = board.queue as LiveQueue;
    const circuits: ParticipantCircuitStatus[] = board.circuits.map((c) => {
      const turn = queue.pendingTurn(participantId, c.name);
      const mine = queue.contributionsOf(participantId, c.name);
      return {
        circuit: c.name,
        state: turn?.state ?? (mine?.acceptedId ? 'done' : 'none'),
        position: turn ? queue.position(turn) : null,
        deadline: turn?.state === 'active' ? (turn.deadline?.toISOString() ?? null) : null,
        latestIndex: c.contribution_index,
        latestZkeySha256: c.latest_zkey_sha256,
        contributionId: mine?.verifyingId ?? mine?.acceptedId ?? null,
        lastRejection: mine?.rejection
          ? { code: mine.rejection.code, message: mine.rejection.message }
          : null,
      };
    });
    return {
      participantId,
      name: p.name,
      publicKey: p.publicKey,
      inQueue: circuits.some((c) => c.state === 'waiting' || c.state === 'active' || c.state === 'verifying'),
      heartbeatIntervalSeconds: this.heartbeatIntervalSeconds,
      circuits,
    };
  }

  /** The board, caught up with every change committed before this call. */
  async #current(ceremonyId: string): Promise<Board> {
    let board = this.#boards.get(ceremonyId);
    if (board === undefined) {
      board = {
        generation: 1,
        synced: 0,
        refreshing: undefined,
        queue: undefined,
        cursor: 0,
        ceremony: undefined,
        circuits: [],
        view: undefined,
      };
      this.#boards.set(ceremonyId, board);
    }
    const wanted = board.generation;
    while (board.synced < wanted) {
      board.refreshing ??= this.#refresh(ceremonyId, board);
      await board.refreshing;
    }
    return board;
  }

  /** One refresh at a time per ceremony, so rows are applied in the order they were read. */
  async #refresh(ceremonyId: string, board: Board): Promise<void> {
    const generation = board.generation;
    try {
      const ceremony = await loadCeremony(this.db, ceremonyId).catch((err: unknown) => {
        // A ceremony that does not exist keeps no board (random ids must not fill memory).
        if (err instanceof CeremonyError && err.code === 'NOT_FOUND') this.#boards.delete(ceremonyId);
        throw err;
      });
      if (board.queue === undefined) await this.#load(ceremonyId, board);
      await this.#catchUp(ceremonyId, board);
      board.ceremony = ceremony;
      board.circuits = await this.db.query<CircuitRow>(
        'SELECT * FROM circuits WHERE ceremony_id = $1 ORDER BY position',
        [ceremonyId],
      );
      const queue = board.queue as LiveQueue;
      board.view = toCeremonyView(
        ceremony,
        board.circuits.map((c) => {
          const holder = queue.holderOf(c.name);
          return {
            ...c,
            currentParticipant: holder?.participantId ?? null,
            turnDeadline: holder?.state === 'active' ? holder.deadline : null,
            waiting: queue.waitingOn(c.name),
          };
        }),
        { queueLength: queue.queueLength, transcriptSize: await readTranscriptSize(this.db, ceremonyId) },
      );
      board.synced = Math.max(board.synced, generation);
    } finally {
      board.refreshing = undefined;
    }
  }

  /** First read of a ceremony: its participants, pending turns in queue order, and contributions. */
  async #load(ceremonyId: string, board: Board): Promise<void> {
    const cursor = await this.#readHighestChange(ceremonyId);
    const queue = new LiveQueue();
    for (const row of await this.db.query<ParticipantFeedRow>(
      `SELECT ${PARTICIPANT_COLUMNS} FROM participants WHERE ceremony_id = $1`,
      [ceremonyId],
    ))
      queue.applyParticipant(row);
    for (const row of await this.db.query<TurnFeedRow>(
      `SELECT ${TURN_COLUMNS} FROM turns WHERE ceremony_id = $1 AND state IN ('waiting', 'active', 'verifying')
       ORDER BY queue_pos`,
      [ceremonyId],
    ))
      queue.applyTurn(row);
    for (const row of await this.db.query<ContributionFeedRow>(
      `SELECT ${CONTRIBUTION_COLUMNS} FROM contributions WHERE ceremony_id = $1 ORDER BY change_seq`,
      [ceremonyId],
    ))
      queue.applyContribution(row);
    board.queue = queue;
    board.cursor = cursor;
  }

  /**
   * The highest change committed, read before the rows: every row numbered up to it is visible to the reads that
   * follow (changes commit in order under the ceremony lock), so it becomes the cursor; rows numbered above it come
   * again in the next catch-up, in their then current state.
   */
  async #readHighestChange(ceremonyId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number | null }>(
      `SELECT greatest((SELECT max(change_seq) FROM turns WHERE ceremony_id = $1),
                       (SELECT max(change_seq) FROM participants WHERE ceremony_id = $1),
                       (SELECT max(change_seq) FROM contributions WHERE ceremony_id = $1)) AS n`,
      [ceremonyId],
    );
    return Number(row?.n ?? 0);
  }

  /** Applies every row whose change_seq passed the cursor, in change order. */
  async #catchUp(ceremonyId: string, board: Board): Promise<void> {
    const queue = board.queue as LiveQueue;
    const from = board.cursor;
    const highest = await this.#readHighestChange(ceremonyId);
    if (highest === from) return;
    const participants = await this.db.query<ParticipantFeedRow>(
      `SELECT ${PARTICIPANT_COLUMNS} FROM participants WHERE ceremony_id = $1 AND change_seq > $2 ORDER BY change_seq`,
      [ceremonyId, from],
    );
    const turns = await this.db.query<TurnFeedRow>(
      `SELECT ${TURN_COLUMNS} FROM turns WHERE ceremony_id = $1 AND change_seq > $2 ORDER BY change_seq`,
      [ceremonyId, from],
    );
    const contributions = await this.db.query<ContributionFeedRow>(
      `SELECT ${CONTRIBUTION_COLUMNS} FROM contributions WHERE ceremony_id = $1 AND change_seq > $2
       ORDER BY change_seq`,
      [ceremonyId, from],
    );
    for (const row of participants) queue.applyParticipant(row);
    for (const row of turns) queue.applyTurn(row);
    for (const row of contributions) queue.applyContribution(row);
    board.cursor = highest;
  }
}
