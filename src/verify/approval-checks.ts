// `approvals`: in a ceremony that needs M coordinators (ceremony.created `approvals`), every act that cannot be
// undone (finalize, coordinator added or removed, participant revoked) lists the seq of M approval.given entries
// that precede it: valid Ed25519 signatures over ceremony-approval/v1 and that act's arguments, by M distinct keys
// that coordinated the ceremony then and still did at the act, not withdrawn, not expired, used by no other act.
// Pure over the ledger: the CLI and the browser run it unchanged.
import {
  type ApprovalAction,
  type ApprovalArguments,
  approvalArgumentsProblem,
  approvalMessage,
  MAX_APPROVALS,
} from '../approvals/approval-message.js';
import { parsePublicKey, verifyHexSignature } from '../crypto/ed25519.js';
import { canonicalize } from '../transcript/canonical-json.js';
import type { TranscriptEntry } from '../transcript/entry.js';
import type { Ledger } from './ledger.js';
import { fail, pass, summarizeProblems, type Verdict } from './types.js';

interface Approval {
  seq: number;
  action: ApprovalAction;
  arguments: ApprovalArguments;
  argumentsJson: string;
  publicKey: string;
  expiresAt: number;
  state: 'open' | 'withdrawn' | 'used';
}

interface Walk {
  required: number;
  coordinators: Set<string>;
  approvals: Map<number, Approval>;
  /** Still the run of coordinator.added right after ceremony.created (co-coordinators named at creation). */
  creating: boolean;
  acts: number;
  problems: string[];
}

const ACT_OF: Partial<Record<TranscriptEntry['type'], ApprovalAction>> = {
  'coordinator.added': 'add-coordinator',
  'coordinator.removed': 'remove-coordinator',
  'participant.revoked': 'revoke-participant',
  'ceremony.finalized': 'finalize',
};

function readApproval(walk: Walk, entry: TranscriptEntry, ceremony: string): string | undefined {
  const { action, arguments: args, publicKey, signature, expiresAt } = entry.body;
  const problem = approvalArgumentsProblem(action, args);
  if (problem) return problem;
  if (typeof publicKey !== 'string' || typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt)))
    return 'publicKey and expiresAt must be a key and a time';
  if (!walk.coordinators.has(publicKey))
    return `${publicKey.slice(0, 16)}… does not coordinate the ceremony here`;
  const request = { ceremony, action: action as ApprovalAction, arguments: args as ApprovalArguments };
  let key: Uint8Array;
  try {
    key = parsePublicKey(publicKey);
  } catch (err) {
    return (err as Error).message;
  }
  if (!verifyHexSignature(signature, approvalMessage(request), key))
    return 'the signature does not verify over ceremony-approval/v1 and this request';
  walk.approvals.set(entry.seq, {
    seq: entry.seq,
    action: request.action,
    arguments: request.arguments,
    argumentsJson: canonicalize(args),
    publicKey,
    expiresAt: Date.parse(expiresAt),
    state: 'open',
  });
  return undefined;
}

/** Why the act's approvals do not carry it, or undefined; marks them used. */
function actProblem(
  walk: Walk,
  entry: TranscriptEntry,
  action: ApprovalAction,
  beacons: TranscriptEntry[],
): string | undefined {
  const listed = entry.body.approvals;
  if (listed === undefined) {
    if (walk.required === 1) return undefined;
    if (action === 'add-coordinator' && walk.creating) return undefined;
    return `taken without approvals, the ceremony needs ${walk.required}`;
  }
  if (!Array.isArray(listed) || listed.some((s) => !Number.isSafeInteger(s)))
    return 'approvals must be a list of seq';
  const found = (listed as number[]).map((seq) => walk.approvals.get(seq));
  const missing = (listed as number[]).filter((_, i) => found[i] === undefined);
  if (missing.length > 0)
    return `approvals ${missing.join(', ')} are not valid approval.given entries before it`;
  const approvals = found as Approval[];
  const keys = new Set(approvals.map((a) => a.publicKey));
  if (keys.size < walk.required || keys.size !== approvals.length)
    return `${keys.size} distinct coordinators approved it, the ceremony needs ${walk.required}`;
  const argsJson = approvals[0]?.argumentsJson ?? '';
  for (const a of approvals) {
    if (a.action !== action || a.argumentsJson !== argsJson)
      return `approval ${a.seq} is for another request`;
    if (a.state !== 'open') return `approval ${a.seq} was ${a.state} before`;
    if (!walk.coordinators.has(a.publicKey))
      return `approval ${a.seq}'s key no longer coordinated at the act`;
    if (Date.parse(entry.time) > a.expiresAt) return `approval ${a.seq} had expired`;
  }
  const args = approvals[0]?.arguments as Record<string, unknown>;
  if (action === 'revoke-participant' && entry.body.participantId !== args.participantId)
    return 'the approvals are for another participant';
  if (
    (action === 'add-coordinator' || action === 'remove-coordinator') &&
    entry.body.publicKey !== args.publicKey
  )
    return 'the approvals are for another key';
  if (action === 'finalize') {
    const other = beacons.find(
      (b) =>
        b.body.beaconHex !== args.beaconHex ||
        b.body.beaconSource !== args.beaconSource ||
        b.body.iterationsExp !== args.iterationsExp,
    );
    if (other) return `beacon.applied ${other.seq} used a beacon the approvals did not sign`;
  }
  for (const a of approvals) a.state = 'used';
  return undefined;
}

function withdraw(walk: Walk, entry: TranscriptEntry): string | undefined {
  const listed = entry.body.approvals;
  if (!Array.isArray(listed)) return 'approvals must be a list of seq';
  for (const seq of listed) {
    const a = typeof seq === 'number' ? walk.approvals.get(seq) : undefined;
    if (a === undefined || a.state !== 'open') return `approval ${String(seq)} was not pending`;
    a.state = 'withdrawn';
  }
  return undefined;
}

export function checkApprovals(ledger: Ledger): Verdict {
  const walk: Walk = {
    required: 1,
    coordinators: new Set(),
    approvals: new Map(),
    creating: false,
    acts: 0,
    problems: [],
  };
  const beacons: TranscriptEntry[] = [];
  for (const line of ledger.lines) {
    const entry = line.entry;
    if (!entry) continue;
    const problem = (text: string | undefined) => {
      if (text) walk.problems.push(`seq ${entry.seq} (${entry.type}): ${text}`);
    };
    const action = ACT_OF[entry.type];
    if (entry.type === 'ceremony.created') {
      const m = entry.body.approvals ?? 1;
      if (!Number.isInteger(m) || (m as number) < 1 || (m as number) > MAX_APPROVALS)
        problem(`approvals must be an integer from 1 to ${MAX_APPROVALS}`);
      else walk.required = m as number;
      if (typeof entry.body.coordinator === 'string') walk.coordinators.add(entry.body.coordinator);
      walk.creating = true;
      continue;
    }
    if (entry.type === 'beacon.applied') beacons.push(entry);
    else if (entry.type === 'approval.given') problem(readApproval(walk, entry, ledger.ceremonyId));
    else if (entry.type === 'approval.withdrawn') problem(withdraw(walk, entry));
    else if (action !== undefined) {
      const why = actProblem(walk, entry, action, beacons);
      problem(why);
      if (entry.body.approvals !== undefined) walk.acts += 1;
      const key = entry.body.publicKey;
      if (typeof key === 'string' && entry.type === 'coordinator.added') walk.coordinators.add(key);
      if (typeof key === 'string' && entry.type === 'coordinator.removed') walk.coordinators.delete(key);
    }
    if (entry.type !== 'coordinator.added') walk.creating = false;
  }
  if (walk.problems.length > 0) return fail(summarizeProblems(walk.problems));
  if (walk.required === 1 && walk.acts === 0)
    return pass('one coordinator decides each act (no approvals required)');
  return pass(
    `the ceremony needs ${walk.required} approvals per act; ${walk.acts} act(s) each carry that many valid ` +
      'signatures of distinct coordinators, none withdrawn, expired or used twice',
  );
}
