// The transcript read once: every line decoded and hashed a single time, the Merkle tree built in one O(n) pass,
// and the facts of its entries extracted. Every check reads this, never the raw text again.
import { decodeEntryLine, type TranscriptEntry } from '../transcript/entry.js';
import { leafHash, MemoryTree } from '../transcript/merkle.js';
import { type LedgerFacts, readFacts } from './facts.js';

export interface LedgerLine {
  /** 0-based position in the published transcript: the leaf index this line was hashed as. */
  position: number;
  /** The line exactly as published, without its newline. */
  line: string;
  /** SHA-256(0x00 ‖ line bytes): the leaf as published, canonical or not. */
  leafHash: Uint8Array;
  /** The entry, when the line is the canonical encoding of a well-formed entry. */
  entry?: TranscriptEntry;
  /** Why the line is not a canonical entry. */
  problem?: string;
}

export interface Ledger {
  lines: LedgerLine[];
  tree: MemoryTree;
  root: Uint8Array;
  /** The ceremony the auditor was pointed at, or the one the first entry names. */
  ceremonyId: string;
  /** Problems with the file as a whole (e.g. no final newline). */
  layoutProblems: string[];
  facts: LedgerFacts;
}

const utf8 = new TextEncoder();

/** Splits ndjson into lines: each line ends with a newline, and nothing follows the last one. */
function splitLines(text: string): { lines: string[]; problems: string[] } {
  if (text === '') return { lines: [], problems: [] };
  const lines = text.split('\n');
  const last = lines.pop();
  const problems = last === '' ? [] : ['the last line does not end with a newline'];
  if (last !== '' && last !== undefined) lines.push(last);
  return { lines, problems };
}

function readLine(line: string, position: number): LedgerLine {
  try {
    const decoded = decodeEntryLine(line);
    return { position, line, leafHash: decoded.leafHash, entry: decoded.entry };
  } catch (err) {
    const problem = (err as Error).message.replace(/^decodeEntryLine: /, '');
    return { position, line, leafHash: leafHash(utf8.encode(line)), problem };
  }
}

/** Reads a transcript; never throws on hostile content (the checks report it), only on a non-string. */
export function readLedger(transcript: string, ceremonyHint?: string): Ledger {
  if (typeof transcript !== 'string') throw new TypeError('readLedger: transcript must be a string');
  const { lines: texts, problems } = splitLines(transcript);
  const lines = texts.map(readLine);
  const tree = new MemoryTree(lines.map((l) => l.leafHash));
  const ceremonyId = ceremonyHint ?? lines.find((l) => l.entry)?.entry?.ceremony ?? '';
  const entries = lines.flatMap((l) => (l.entry ? [l.entry] : []));
  return { lines, tree, root: tree.root(), ceremonyId, layoutProblems: problems, facts: readFacts(entries) };
}
