// Transcript entries (docs/PROTOCOL.md section 4): one RFC 8785 canonical JSON line each, hashed as a Merkle leaf.
import { isHex } from '../crypto/hex.js';
import { canonicalize, type JsonValue } from './canonical-json.js';
import { leafHash } from './merkle.js';

export const ENTRY_TYPES = [
  'ceremony.created',
  'circuit.added',
  'participant.registered',
  'coordinator.added',
  'coordinator.removed',
  'approval.given',
  'approval.withdrawn',
  'participant.revoked',
  'ceremony.opened',
  'ceremony.closed',
  'contribution.accepted',
  'contribution.rejected',
  'turn.expired',
  'beacon.applied',
  'ceremony.finalized',
  'log.restored',
  'log.key-rotated',
  'verifier.disagreement',
  'circuit.rewound',
] as const;

export type EntryType = (typeof ENTRY_TYPES)[number];

/** `prev` of entry 0: there is no earlier leaf. */
export const GENESIS_PREV = '0'.repeat(64);

export interface TranscriptEntry {
  v: 1;
  ceremony: string;
  seq: number;
  type: EntryType;
  time: string;
  /** Leaf hash (hex) of entry seq-1; GENESIS_PREV for seq 0. */
  prev: string;
  body: { [k: string]: JsonValue };
}

export interface EncodedEntry {
  entry: TranscriptEntry;
  /** Canonical JSON, no newline: the exact text published in transcript.jsonl. */
  line: string;
  /** UTF-8 of `line`: the bytes the leaf hash covers. */
  bytes: Uint8Array;
  leafHash: Uint8Array;
}

const ENTRY_KEYS = ['body', 'ceremony', 'prev', 'seq', 'time', 'type', 'v'];
const timePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** True for RFC 3339 UTC times as toISOString writes them (milliseconds optional) that name a real instant. */
function isEntryTime(time: unknown): time is string {
  if (typeof time !== 'string' || !timePattern.test(time)) return false;
  const date = new Date(time);
  return (
    !Number.isNaN(date.getTime()) &&
    date.toISOString() === (time.length === 20 ? `${time.slice(0, 19)}.000Z` : time)
  );
}

/** Why `entry` is not a well-formed transcript entry, or null. */
function entryProblem(entry: unknown): string | null {
  if (!isPlainObject(entry)) return 'entry must be an object';
  const extra = Object.keys(entry).filter((key) => !ENTRY_KEYS.includes(key));
  if (extra.length > 0) return `unknown field(s) ${extra.join(', ')}`;
  const { v, ceremony, seq, type, time, prev, body } = entry;
  if (v !== 1) return 'v must be 1';
  if (typeof ceremony !== 'string' || ceremony === '') return 'ceremony must be a non-empty string';
  if (!Number.isSafeInteger(seq) || (seq as number) < 0)
    return `seq must be an integer >= 0, got ${String(seq)}`;
  if (!ENTRY_TYPES.includes(type as EntryType)) return `unknown entry type ${String(type)}`;
  if (!isEntryTime(time))
    return `time must be RFC 3339 UTC like 2024-01-02T03:04:05.678Z, got ${String(time)}`;
  if (!isHex(prev, 32)) return 'prev must be 64 lowercase hex characters';
  if (seq === 0 && prev !== GENESIS_PREV) return 'entry 0 must have prev = 64 zeros';
  if (!isPlainObject(body)) return 'body must be a JSON object';
  return null;
}

function encodeChecked(fn: string, entry: unknown): EncodedEntry {
  const problem = entryProblem(entry);
  if (problem) throw new TypeError(`${fn}: ${problem}`);
  let line: string;
  try {
    line = canonicalize(entry);
  } catch (err) {
    throw new TypeError(`${fn}: ${(err as Error).message}`);
  }
  const bytes = new TextEncoder().encode(line);
  // The entry is re-read from its own line, so `entry` is exactly what the bytes say (no undefined, no -0).
  return { entry: JSON.parse(line) as TranscriptEntry, line, bytes, leafHash: leafHash(bytes) };
}

/** Serializes an entry to its canonical line and leaf hash, after checking every field. */
export function encodeEntry(entry: TranscriptEntry): EncodedEntry {
  return encodeChecked('encodeEntry', entry);
}

/** Parses one transcript line; refuses anything but the exact canonical bytes of a well-formed entry. */
export function decodeEntryLine(line: string): EncodedEntry {
  if (typeof line !== 'string') throw new TypeError('decodeEntryLine: expected a string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new TypeError('decodeEntryLine: line is not JSON');
  }
  const encoded = encodeChecked('decodeEntryLine', parsed);
  // Byte identity, not just equal values: the leaf hash covers the line exactly as published.
  if (encoded.line !== line) throw new TypeError('decodeEntryLine: line is not in RFC 8785 canonical form');
  return encoded;
}

export function formatEntryTime(date: Date): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError('formatEntryTime: invalid date');
  }
  const time = date.toISOString();
  if (!isEntryTime(time)) throw new RangeError(`formatEntryTime: year out of range in ${time}`);
  return time;
}
