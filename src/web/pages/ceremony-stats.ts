// What the ceremony page derives from the transcript: contributions, refusals and each circuit's pace.
import type { TranscriptEntry } from '../../transcript/entry.js';
import type { Ledger } from '../../verify/ledger.js';

export interface ContributionRow {
  seq: number;
  time: string;
  participant: string;
  circuit: string;
  index: number;
  contributionHash: string;
  statement: string | undefined;
}

export interface RefusalRow {
  seq: number;
  time: string;
  participant: string;
  circuit: string;
  kind: 'rejected' | 'expired';
  reason: string;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

export function entriesOf(ledger: Ledger): TranscriptEntry[] {
  return ledger.lines.flatMap((l) => (l.entry ? [l.entry] : []));
}

export function nameOf(ledger: Ledger, participantId: string): string {
  const name = ledger.facts.participants.get(participantId)?.name;
  return name ? `${name} (${participantId})` : participantId;
}

/** The accepted contributions that count: those a `circuit.rewound` entry voided are left out. */
export function listContributions(ledger: Ledger): ContributionRow[] {
  const voided = new Set(ledger.facts.voided.map((v) => v.seq));
  return entriesOf(ledger)
    .filter((e) => e.type === 'contribution.accepted' && !voided.has(e.seq))
    .map((e) => ({
      seq: e.seq,
      time: e.time,
      participant: nameOf(ledger, text(e.body.participantId)),
      circuit: text(e.body.circuit),
      index: typeof e.body.index === 'number' ? e.body.index : -1,
      contributionHash: text(e.body.contributionHash),
      statement: typeof e.body.statement === 'string' ? e.body.statement : undefined,
    }));
}

export function listRefusals(ledger: Ledger): RefusalRow[] {
  return entriesOf(ledger)
    .filter((e) => e.type === 'contribution.rejected' || e.type === 'turn.expired')
    .map((e) => ({
      seq: e.seq,
      time: e.time,
      participant: nameOf(ledger, text(e.body.participantId)),
      circuit: text(e.body.circuit),
      kind: e.type === 'turn.expired' ? ('expired' as const) : ('rejected' as const),
      reason:
        e.type === 'turn.expired'
          ? text(e.body.reason)
          : `${text(e.body.reason)}: ${text(e.body.message)}`.replace(/^: /, ''),
    }));
}

/**
 * Mean time between the ends of turns on a circuit (accepted, rejected or expired), counted from the opening:
 * the pace at which the queue moves. Undefined before the first turn ends.
 */
export function averageTurnMs(ledger: Ledger, circuit: string): number | undefined {
  const entries = entriesOf(ledger);
  const opened = entries.find((e) => e.type === 'ceremony.opened');
  if (!opened) return undefined;
  const ends = entries
    .filter(
      (e) =>
        e.seq > opened.seq &&
        e.body.circuit === circuit &&
        (e.type === 'contribution.accepted' ||
          e.type === 'contribution.rejected' ||
          e.type === 'turn.expired'),
    )
    .map((e) => Date.parse(e.time));
  if (ends.length === 0) return undefined;
  return (ends[ends.length - 1]! - Date.parse(opened.time)) / ends.length;
}

/** When the ceremony opened and closed, as the transcript says (undefined while it has not). */
export function openedAndClosed(ledger: Ledger | undefined): { opened?: string; closed?: string } {
  const entries = ledger ? entriesOf(ledger) : [];
  return {
    opened: entries.find((e) => e.type === 'ceremony.opened')?.time,
    closed: entries.find((e) => e.type === 'ceremony.closed')?.time,
  };
}
