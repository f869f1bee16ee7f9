// What the transcript's entries state, as typed facts (bodies as src/ceremony/*.ts write them). A body that does
// not hold what its type requires is kept aside as malformed, so the checks that need it can fail by name.

import { circuitNamePattern } from '../limits.js';
import type { JsonValue } from '../transcript/canonical-json.js';
import type { EntryType, TranscriptEntry } from '../transcript/entry.js';
import type { RotationBody } from '../transcript/log-key-rotation.js';
import { parseVerifierKey } from '../transcript/note.js';

export interface CircuitFact {
  seq: number;
  circuit: string;
  r1csSha256: string;
  ptauSha256: string;
  initialZkeySha256: string;
  constraints: number;
  power: number;
}

export interface ParticipantFact {
  seq: number;
  participantId: string;
  name: string;
  publicKey: string;
}

export interface AcceptedFact {
  seq: number;
  circuit: string;
  index: number;
  participantId: string;
  prevZkeySha256: string;
  zkeySha256: string;
  contributionHash: string;
  attestation: string;
  statement?: string;
}

export interface BeaconFact {
  seq: number;
  circuit: string;
  beaconHex: string;
  beaconSource: string;
  iterationsExp: number;
  zkeySha256: string;
  contributionHash: string;
}

export interface FinalOutputFact {
  circuit: string;
  finalZkeySha256: string;
  verificationKeySha256: string;
  verifierSolSha256: string;
}

/** A `circuit.rewound` entry: the coordinator made zkey `toIndex` current again and voided the later contributions. */
export interface RewindFact {
  seq: number;
  circuit: string;
  toIndex: number;
  zkeySha256: string;
  voidedIndexes: number[];
}

/** A `log.restored` entry: the coordinator restored a backup, so entries after `restoredSize` may have been lost. */
export interface RestoreFact {
  seq: number;
  time: string;
  backupId: string;
  backupCreatedAt: string;
  restoredSize: number;
}

/** A `log.key-rotated` entry: checkpoints of larger sizes are signed by `newLogKey`. */
export interface KeyRotationFact extends RotationBody {
  seq: number;
  time: string;
  prev: string;
}

/** A key that may act as coordinator from `seq` on: the owner (`ceremony.created`) or a co-coordinator. */
export interface CoordinatorFact {
  seq: number;
  publicKey: string;
  /** The `coordinator.removed` entry that ended its role, if any. */
  removedSeq?: number;
}

export interface MalformedEntry {
  seq: number;
  type: EntryType;
  problem: string;
}

export interface LedgerFacts {
  /** In the order they were added. */
  circuits: CircuitFact[];
  participants: Map<string, ParticipantFact>;
  /** In seq order, without the voided ones: what counts and what the final zkey's chain may hold. */
  accepted: AcceptedFact[];
  /** Contributions a `circuit.rewound` entry voided, in seq order: in the log, neither counted nor in the chain. */
  voided: AcceptedFact[];
  /** In seq order. */
  rewinds: RewindFact[];
  beacons: BeaconFact[];
  finalized: { seq: number; outputs: FinalOutputFact[] } | undefined;
  /** In seq order. */
  restores: RestoreFact[];
  /** In seq order. */
  keyRotations: KeyRotationFact[];
  /** In seq order. */
  coordinators: CoordinatorFact[];
  malformed: MalformedEntry[];
}

type Body = { [key: string]: JsonValue };

/** Reads typed fields out of an entry body; throws a one-line reason on the first field that is wrong. */
function fieldsOf(body: Body) {
  const value = (key: string) => body[key];
  const hex = (key: string, bytes: number) => {
    const v = value(key);
    if (typeof v !== 'string' || v.length !== bytes * 2 || !/^[0-9a-f]*$/.test(v)) {
      throw new Error(`${key} must be ${bytes * 2} lowercase hex characters`);
    }
    return v;
  };
  const text = (key: string) => {
    const v = value(key);
    if (typeof v !== 'string' || v === '') throw new Error(`${key} must be a non-empty string`);
    return v;
  };
  const int = (key: string, min = 0) => {
    const v = value(key);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      throw new Error(`${key} must be an integer >= ${min}`);
    return v;
  };
  const circuit = (key = 'circuit') => {
    const v = text(key);
    if (!circuitNamePattern.test(v)) throw new Error(`${key} '${v.slice(0, 70)}' is not a circuit name`);
    return v;
  };
  return { value, hex, text, int, circuit };
}

function readOutputs(list: JsonValue | undefined): FinalOutputFact[] {
  if (!Array.isArray(list) || list.length === 0) throw new Error('circuits must be a non-empty list');
  return list.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new Error(`circuits[${i}] is not an object`);
    const f = fieldsOf(item);
    return {
      circuit: f.circuit(),
      finalZkeySha256: f.hex('finalZkeySha256', 32),
      verificationKeySha256: f.hex('verificationKeySha256', 32),
      verifierSolSha256: f.hex('verifierSolSha256', 32),
    };
  });
}

function addEntry(facts: LedgerFacts, entry: TranscriptEntry): void {
  const f = fieldsOf(entry.body);
  const seq = entry.seq;
  switch (entry.type) {
    case 'circuit.added': {
      const circuit = f.circuit();
      if (facts.circuits.some((c) => c.circuit === circuit))
        throw new Error(`circuit '${circuit}' was already added`);
      facts.circuits.push({
        seq,
        circuit,
        r1csSha256: f.hex('r1csSha256', 32),
        ptauSha256: f.hex('ptauSha256', 32),
        initialZkeySha256: f.hex('initialZkeySha256', 32),
        constraints: f.int('constraints'),
        power: f.int('power'),
      });
      return;
    }
    case 'participant.registered': {
      const participantId = f.text('participantId');
      if (facts.participants.has(participantId))
        throw new Error(`participant '${participantId}' was already registered`);
      facts.participants.set(participantId, {
        seq,
        participantId,
        name: f.text('name'),
        publicKey: f.hex('publicKey', 32),
      });
      return;
    }
    case 'contribution.accepted': {
      const statement = f.value('statement');
      if (statement !== undefined && typeof statement !== 'string')
        throw new Error('statement must be a string');
      facts.accepted.push({
        seq,
        circuit: f.circuit(),
        index: f.int('index', 1),
        participantId: f.text('participantId'),
        prevZkeySha256: f.hex('prevZkeySha256', 32),
        zkeySha256: f.hex('zkeySha256', 32),
        contributionHash: f.hex('contributionHash', 64),
        // Judged by contributions.attestations, which says why a malformed one does not verify.
        attestation: typeof f.value('attestation') === 'string' ? (f.value('attestation') as string) : '',
        ...(statement === undefined ? {} : { statement }),
      });
      return;
    }
    case 'circuit.rewound':
      addRewind(facts, seq, f);
      return;
    case 'beacon.applied': {
      const beaconHex = f.text('beaconHex');
      if (!/^(?:[0-9a-f]{2})+$/.test(beaconHex)) throw new Error('beaconHex must be lowercase hex bytes');
      facts.beacons.push({
        seq,
        circuit: f.circuit(),
        beaconHex,
        beaconSource: typeof f.value('beaconSource') === 'string' ? (f.value('beaconSource') as string) : '',
        iterationsExp: f.int('iterationsExp'),
        zkeySha256: f.hex('zkeySha256', 32),
        contributionHash: f.hex('contributionHash', 64),
      });
      return;
    }
    case 'ceremony.finalized':
      if (facts.finalized)
        throw new Error(`the ceremony was already finalized at seq ${facts.finalized.seq}`);
      facts.finalized = { seq, outputs: readOutputs(f.value('circuits')) };
      return;
    case 'log.restored': {
      const restoredSize = f.int('restoredSize');
      if (restoredSize !== seq)
        throw new Error(`restoredSize ${restoredSize} is not this entry's seq ${seq}`);
      facts.restores.push({
        seq,
        time: entry.time,
        backupId: f.text('backupId'),
        backupCreatedAt: f.text('backupCreatedAt'),
        restoredSize,
      });
      return;
    }
    case 'ceremony.created':
    case 'coordinator.added':
      facts.coordinators.push({
        seq,
        publicKey: f.hex(entry.type === 'ceremony.created' ? 'coordinator' : 'publicKey', 32),
      });
      return;
    case 'coordinator.removed': {
      const publicKey = f.hex('publicKey', 32);
      const role = facts.coordinators.find((c) => c.publicKey === publicKey && c.removedSeq === undefined);
      if (role === undefined) throw new Error('this key did not coordinate the ceremony');
      role.removedSeq = seq;
      return;
    }
    case 'log.key-rotated': {
      const signature = (key: string) => f.hex(key, 64);
      const verifierKey = (key: string) => {
        const v = f.text(key);
        try {
          parseVerifierKey(v);
        } catch (err) {
          throw new Error(`${key}: ${(err as Error).message}`);
        }
        return v;
      };
      facts.keyRotations.push({
        seq,
        time: entry.time,
        prev: entry.prev,
        oldLogKey: verifierKey('oldLogKey'),
        newLogKey: verifierKey('newLogKey'),
        coordinator: f.hex('coordinator', 32),
        oldKeySignature: f.value('oldKeySignature') === null ? null : signature('oldKeySignature'),
        newKeySignature: signature('newKeySignature'),
        coordinatorSignature: signature('coordinatorSignature'),
      });
      return;
    }
    default:
      return;
  }
}

/**
 * A rewind voids exactly the circuit's live contributions after `toIndex`, and names the zkey at `toIndex` as it
 * stands in the log: anything else is malformed and voids nothing.
 */
function addRewind(facts: LedgerFacts, seq: number, f: ReturnType<typeof fieldsOf>): void {
  const circuit = f.circuit();
  const toIndex = f.int('toIndex');
  const zkeySha256 = f.hex('zkeySha256', 32);
  const list = f.value('voidedIndexes');
  if (!Array.isArray(list) || list.some((i) => typeof i !== 'number' || !Number.isSafeInteger(i)))
    throw new Error('voidedIndexes must be a list of integers');
  const added = facts.circuits.find((c) => c.circuit === circuit);
  if (!added) throw new Error(`circuit '${circuit}' was not added before it`);
  const live = facts.accepted.filter((a) => a.circuit === circuit);
  const at = toIndex === 0 ? added.initialZkeySha256 : live.find((a) => a.index === toIndex)?.zkeySha256;
  if (at !== zkeySha256) throw new Error(`zkeySha256 is not the zkey of ${circuit} #${toIndex} in the log`);
  const after = live.filter((a) => a.index > toIndex);
  const stated = (list as number[]).join(',');
  if (after.map((a) => a.index).join(',') !== stated)
    throw new Error(`voidedIndexes [${stated}] are not the accepted contributions after #${toIndex}`);
  facts.accepted = facts.accepted.filter((a) => !after.includes(a));
  facts.voided.push(...after);
  facts.rewinds.push({ seq, circuit, toIndex, zkeySha256, voidedIndexes: list as number[] });
}

/** Facts of the entries, in the order given (seq order for a sound transcript). */
export function readFacts(entries: readonly TranscriptEntry[]): LedgerFacts {
  if (!Array.isArray(entries)) throw new TypeError('readFacts: entries must be an array');
  const facts: LedgerFacts = {
    circuits: [],
    participants: new Map(),
    accepted: [],
    voided: [],
    rewinds: [],
    beacons: [],
    finalized: undefined,
    restores: [],
    keyRotations: [],
    coordinators: [],
    malformed: [],
  };
  for (const entry of entries) {
    try {
      addEntry(facts, entry);
    } catch (err) {
      facts.malformed.push({ seq: entry.seq, type: entry.type, problem: (err as Error).message });
    }
  }
  return facts;
}

/** The malformed entries of the given types, as one-line problems. */
export function malformedOf(facts: LedgerFacts, types: readonly EntryType[]): string[] {
  return facts.malformed
    .filter((m) => types.includes(m.type))
    .map((m) => `seq ${m.seq} (${m.type}): ${m.problem}`);
}
