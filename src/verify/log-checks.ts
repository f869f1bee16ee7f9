// Checks of the log itself (docs/PROTOCOL.md section 12): canonical lines, the hash chain, the Merkle
// root against the signed checkpoint, every published checkpoint, an older checkpoint the auditor kept, cosignatures.
import { fromHex, toHex } from '../crypto/hex.js';
import { GENESIS_PREV } from '../transcript/entry.js';
import { verifyConsistency } from '../transcript/merkle.js';
import {
  type Checkpoint,
  makeNoteVerifier,
  parseCheckpoint,
  parseNote,
  verifyNote,
} from '../transcript/note.js';
import type { Ledger } from './ledger.js';
import { keyLabel, type LogKeys } from './log-keys.js';
import { fail, pass, shortHex, skip, summarizeProblems, type Verdict } from './types.js';

const short = (hash: Uint8Array) => shortHex(toHex(hash));

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The seq a broken line claims, for messages only. */
function claimedSeq(line: string): string {
  try {
    const seq = (JSON.parse(line) as { seq?: unknown }).seq;
    return typeof seq === 'number' ? ` (seq ${seq})` : '';
  } catch {
    return '';
  }
}

export function checkCanonical(ledger: Ledger): Verdict {
  if (ledger.lines.length === 0) return fail('the transcript is empty');
  const problems = [
    ...ledger.layoutProblems,
    ...ledger.lines
      .filter((l) => l.problem !== undefined)
      .map((l) => `line ${l.position + 1}${claimedSeq(l.line)}: ${l.problem}`),
  ];
  if (problems.length > 0) return fail(summarizeProblems(problems));
  return pass(`${ledger.lines.length} entries, each the canonical RFC 8785 encoding of a well-formed entry`);
}

export function checkSequence(ledger: Ledger): Verdict {
  if (ledger.lines.length === 0) return fail('the transcript is empty');
  const problems: string[] = [];
  let unjudged = 0;
  for (const [i, line] of ledger.lines.entries()) {
    const entry = line.entry;
    if (!entry) {
      unjudged++;
      continue;
    }
    if (entry.seq !== i) {
      const why = entry.seq > i ? 'an entry is missing before it' : 'it is repeated or out of order';
      problems.push(`line ${i + 1} has seq ${entry.seq}, expected ${i}: ${why}`);
    }
    if (entry.ceremony !== ledger.ceremonyId) {
      problems.push(`seq ${entry.seq} belongs to ceremony '${entry.ceremony}', not '${ledger.ceremonyId}'`);
    }
    const expectedPrev = i === 0 ? GENESIS_PREV : toHex(ledger.lines[i - 1]!.leafHash);
    if (entry.prev !== expectedPrev)
      problems.push(`seq ${entry.seq}: prev is not the leaf hash of the line before it`);
    if (i === 0 && entry.type !== 'ceremony.created')
      problems.push(`the first entry is ${entry.type}, not ceremony.created`);
  }
  if (problems.length > 0) return fail(summarizeProblems(problems));
  const note = unjudged > 0 ? ` (${unjudged} non-canonical line(s) not judged, see entries.canonical)` : '';
  return pass(`seq 0–${ledger.lines.length - 1} without gaps, every prev links to the leaf before it${note}`);
}

/** The checkpoint a note states, or a reason it states none. */
function readCheckpointNote(note: string): Checkpoint {
  return parseCheckpoint(parseNote(note).body);
}

function originProblem(checkpoint: Checkpoint, ceremonyId: string): string | undefined {
  return checkpoint.origin.endsWith(`/ceremonies/${ceremonyId}`)
    ? undefined
    : `origin '${checkpoint.origin}' is not a log of ceremony '${ceremonyId}'`;
}

export function checkRoot(ledger: Ledger, note: string | undefined): Verdict {
  if (note === undefined) return fail('no checkpoint is published');
  let checkpoint: Checkpoint;
  try {
    checkpoint = readCheckpointNote(note);
  } catch (err) {
    return fail(`the checkpoint does not parse: ${(err as Error).message}`);
  }
  const origin = originProblem(checkpoint, ledger.ceremonyId);
  if (origin) return fail(origin);
  const n = ledger.lines.length;
  if (checkpoint.size !== n) {
    const why =
      checkpoint.size > n
        ? 'entries were removed from the transcript'
        : 'the transcript has unsigned entries';
    return fail(`the checkpoint covers ${checkpoint.size} entries, the transcript has ${n}: ${why}`);
  }
  if (!sameBytes(checkpoint.rootHash, ledger.root)) {
    return fail(
      `the Merkle root of the ${n} entries is ${short(ledger.root)}, the checkpoint says ${short(checkpoint.rootHash)}`,
    );
  }
  return pass(`the Merkle root of all ${n} entries is the checkpoint's (${short(ledger.root)})`);
}

/** The tree size a note's checkpoint states, read before its signature is checked (to pick the key); undefined if none. */
function statedSize(note: string): number | undefined {
  try {
    return readCheckpointNote(note).size;
  } catch {
    return undefined;
  }
}

/** Why `key` is not the key of a checkpoint of `size`, for a failure's detail. */
function unannouncedKey(keys: LogKeys, size: number): string {
  return `the checkpoint of size ${size} must be signed by ${keyLabel(keys.keyFor(size) ?? '')}, the key the log names for that size`;
}

export function checkSignature(note: string | undefined, keys: LogKeys): Verdict {
  if (note === undefined) return fail('no checkpoint is published');
  if (keys.problem !== undefined) return fail(keys.problem);
  const size = statedSize(note) ?? 0;
  const logKey = keys.keyFor(size);
  if (logKey === undefined) return fail('no log key is published (log-key.pub, GET /v1/log-key)');
  try {
    verifyNote(note, logKey);
    return pass(`signed by the log key ${keyLabel(logKey)}`);
  } catch (err) {
    return fail(`${(err as Error).message}: ${unannouncedKey(keys, size)}`);
  }
}

/** Problems of one published checkpoint: signature, stated size, origin, and root of that transcript prefix. */
function historyProblem(
  ledger: Ledger,
  size: number,
  note: string,
  verify: (note: string) => string,
): string | undefined {
  try {
    let body: string;
    try {
      body = verify(note);
    } catch (err) {
      return `checkpoints/${size}: ${(err as Error).message} (the key the log names for size ${size})`;
    }
    const checkpoint = parseCheckpoint(body);
    if (checkpoint.size !== size) return `checkpoints/${size} states size ${checkpoint.size}`;
    const origin = originProblem(checkpoint, ledger.ceremonyId);
    if (origin) return `checkpoints/${size}: ${origin}`;
    if (size > ledger.lines.length)
      return `checkpoints/${size} is beyond the transcript's ${ledger.lines.length} entries`;
    if (!sameBytes(ledger.tree.root(size), checkpoint.rootHash)) {
      return `checkpoints/${size} has root ${short(checkpoint.rootHash)}, the first ${size} entries have ${short(ledger.tree.root(size))}`;
    }
    return undefined;
  } catch (err) {
    return `checkpoints/${size}: ${(err as Error).message}`;
  }
}

export function checkHistory(ledger: Ledger, notes: Map<number, string>, keys: LogKeys): Verdict {
  if (keys.current === undefined) return fail('no log key is published');
  if (notes.size === 0) return fail('no checkpoints are published (checkpoints/<size>)');
  // One verifier per key (a log has few): each parses its key once for thousands of notes.
  const verifiers = new Map<string, (note: string) => string>();
  const verifierFor = (size: number) => {
    const key = keys.keyFor(size) ?? '';
    let verify = verifiers.get(key);
    if (verify === undefined) {
      try {
        verify = makeNoteVerifier(key);
      } catch (err) {
        const message = `the log key is unusable: ${(err as Error).message}`;
        verify = () => {
          throw new Error(message);
        };
      }
      verifiers.set(key, verify);
    }
    return verify;
  };
  const problems: string[] = [];
  for (const [size, note] of notes) {
    const problem = historyProblem(ledger, size, note, verifierFor(size));
    if (problem) problems.push(problem);
  }
  if (problems.length > 0)
    return fail(`${problems.length} of ${notes.size} checkpoints fail: ${summarizeProblems(problems)}`);
  const n = ledger.lines.length;
  const coverage = notes.size === n ? `every size 1–${n}` : `${notes.size} of the ${n} sizes`;
  return pass(
    `${notes.size} checkpoints (${coverage}) are signed and match the transcript prefix of their size`,
  );
}

export interface OlderCheckpointInput {
  ledger: Ledger;
  note: string | undefined;
  keys: LogKeys;
  /** The coordinator's consistency proof from the older size to the transcript's, when one can be had. */
  readProof: (from: number, to: number) => Promise<string[] | undefined>;
}

/**
 * Names the declared rollback that explains a checkpoint of size `m` the transcript no longer extends: the first
 * `log.restored` entry that took the log back below `m`.
 */
export function describeRollback(ledger: Ledger, m: number): string | undefined {
  const restore = ledger.facts.restores.find((r) => r.restoredSize < m);
  if (restore === undefined) return undefined;
  return (
    `the log was rolled back: entry ${restore.seq} (log.restored, ${restore.time}) declares that the coordinator ` +
    `restored backup ${restore.backupId} of ${restore.backupCreatedAt}, holding ${restore.restoredSize} entries; ` +
    `this checkpoint of size ${m} saw entries after that point, and they are not in the log`
  );
}

/**
 * Reports every restore the coordinator declared. A declared restore is not a fault of the log, so it passes, but
 * the auditor is told where entries may be missing; entries lost before an undeclared restore fail `checkpoint.older`.
 */
export function checkRestores(ledger: Ledger): Verdict {
  const malformed = ledger.facts.malformed.filter((m) => m.type === 'log.restored');
  if (malformed.length > 0)
    return fail(
      `malformed log.restored entries: ${malformed.map((m) => `${m.seq}: ${m.problem}`).join('; ')}`,
    );
  const restores = ledger.facts.restores;
  if (restores.length === 0) return pass('the coordinator declared no restore from backup');
  const list = restores.map(
    (r) => `entry ${r.seq} at ${r.time}: backup ${r.backupId} of ${r.backupCreatedAt}`,
  );
  return pass(
    `the coordinator declared ${restores.length} restore(s) from backup (${list.join('; ')}); entries appended ` +
      'after a backup and before its restore are lost: check any checkpoint or receipt you kept with --checkpoint / --receipt',
  );
}

/** Consistency from an older checkpoint: same log key, and the transcript's first m leaves have exactly its root. */
export async function checkOlder(input: OlderCheckpointInput): Promise<Verdict> {
  const { ledger, note, keys } = input;
  if (note === undefined) return skip('no older checkpoint given (--checkpoint FILE)');
  const size = statedSize(note);
  if (size === undefined) return fail('the older checkpoint does not parse as a checkpoint');
  const logKey = keys.keyFor(size);
  if (logKey === undefined) return fail('no log key is published');
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(verifyNote(note, logKey).body);
  } catch (err) {
    return fail(
      `the older checkpoint is not signed by the log key: ${(err as Error).message}: ${unannouncedKey(keys, size)}`,
    );
  }
  const origin = originProblem(checkpoint, ledger.ceremonyId);
  if (origin) return fail(`the older checkpoint's ${origin}`);
  const m = checkpoint.size;
  const n = ledger.lines.length;
  const prefixRoot = m <= n ? ledger.tree.root(m) : undefined;
  if (prefixRoot === undefined || !sameBytes(prefixRoot, checkpoint.rootHash)) {
    const rollback = describeRollback(ledger, m);
    if (rollback) return fail(rollback);
    if (prefixRoot === undefined)
      return fail(
        `the older checkpoint covers ${m} entries but the transcript has only ${n}: the log was truncated`,
      );
    return fail(
      `the transcript's first ${m} entries have root ${short(prefixRoot)}, the older checkpoint says ${short(checkpoint.rootHash)}: the log was rewritten`,
    );
  }
  let proofNote = '';
  if (m > 0 && m < n) {
    const proof = await input.readProof(m, n).catch(() => undefined);
    if (proof !== undefined) {
      const hashes = proof.every((h) => /^[0-9a-f]{64}$/.test(h))
        ? proof.map((h) => fromHex(h, 32))
        : undefined;
      if (!hashes || !verifyConsistency(m, n, checkpoint.rootHash, ledger.root, hashes)) {
        return fail(`the coordinator's RFC 9162 consistency proof from ${m} to ${n} does not verify`);
      }
      proofNote = `; the coordinator's consistency proof ${m}→${n} verifies`;
    }
  }
  return pass(
    `the older checkpoint (size ${m}) is signed by the log key and is a prefix of the transcript${proofNote}`,
  );
}

/** Every older checkpoint the auditor kept must be consistent; a failure names which one (1-based, as given). */
export async function checkOlderAll(
  input: Omit<OlderCheckpointInput, 'note'> & { notes: readonly string[] },
): Promise<Verdict> {
  const { notes, ...rest } = input;
  if (notes.length <= 1) return checkOlder({ ...rest, note: notes[0] });
  const sizes: number[] = [];
  for (const [i, note] of notes.entries()) {
    const verdict = await checkOlder({ ...rest, note });
    if (verdict.status !== 'pass')
      return fail(`older checkpoint ${i + 1} of ${notes.length}: ${verdict.detail}`);
    sizes.push(statedSize(note) ?? 0);
  }
  const range = `sizes ${Math.min(...sizes)} to ${Math.max(...sizes)}`;
  return pass(
    `all ${notes.length} older checkpoints (${range}) are signed by the log key and are prefixes of the transcript`,
  );
}
