// The request M coordinators sign for an act that cannot be undone (docs/PROTOCOL.md "Approvals"): the action, its
// arguments, and the exact bytes each approval's Ed25519 signature covers. Pure: the server, the CLI and the auditor
// share it.
import { sha256 } from '@noble/hashes/sha2.js';
import { parsePublicKey } from '../crypto/ed25519.js';
import { isHex, toHex } from '../crypto/hex.js';
import {
  beaconHexPattern,
  MAX_BEACON_SOURCE_LENGTH,
  MAX_ITERATIONS_EXP,
  MIN_ITERATIONS_EXP,
  PARTICIPANT_ID_SOURCE,
} from '../limits.js';
import { canonicalize } from '../transcript/canonical-json.js';

export const APPROVAL_PREFIX = 'ceremony-approval/v1\n';

export const APPROVAL_ACTIONS = [
  'finalize',
  'add-coordinator',
  'remove-coordinator',
  'revoke-participant',
] as const;
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[number];

export type FinalizeArguments = { beaconHex: string; beaconSource: string; iterationsExp: number };
export type CoordinatorArguments = { publicKey: string };
export type RevokeArguments = { participantId: string };
export type ApprovalArguments = FinalizeArguments | CoordinatorArguments | RevokeArguments;

/** The most approvals a ceremony may require (and the most coordinators named at creation). */
export const MAX_APPROVALS = 16;
const participantIdPattern = new RegExp(PARTICIPANT_ID_SOURCE);

export interface ApprovalRequest {
  ceremony: string;
  action: ApprovalAction;
  arguments: ApprovalArguments;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function exactKeys(args: Record<string, unknown>, keys: readonly string[]): string | null {
  const names = Object.keys(args).sort();
  const wanted = [...keys].sort();
  return names.length === wanted.length && names.every((k, i) => k === wanted[i])
    ? null
    : `arguments must hold exactly ${wanted.join(', ')}`;
}

/** Why `args` are not the arguments of `action`, or null. Same rules as the acts themselves take. */
export function approvalArgumentsProblem(action: unknown, args: unknown): string | null {
  if (!APPROVAL_ACTIONS.includes(action as ApprovalAction))
    return `action must be one of ${APPROVAL_ACTIONS.join(', ')}, got ${String(action)}`;
  if (!isObject(args)) return 'arguments must be an object';
  switch (action as ApprovalAction) {
    case 'finalize': {
      const keys = exactKeys(args, ['beaconHex', 'beaconSource', 'iterationsExp']);
      if (keys) return keys;
      if (typeof args.beaconHex !== 'string' || !beaconHexPattern.test(args.beaconHex))
        return 'beaconHex must be 1-64 bytes of lowercase hex';
      const source = args.beaconSource;
      if (typeof source !== 'string' || source.trim() !== source || source.length === 0)
        return 'beaconSource must be non-empty text without surrounding spaces';
      if (source.length > MAX_BEACON_SOURCE_LENGTH)
        return `beaconSource must be at most ${MAX_BEACON_SOURCE_LENGTH} characters`;
      const exp = args.iterationsExp;
      if (
        !Number.isInteger(exp) ||
        (exp as number) < MIN_ITERATIONS_EXP ||
        (exp as number) > MAX_ITERATIONS_EXP
      )
        return `iterationsExp must be an integer from ${MIN_ITERATIONS_EXP} to ${MAX_ITERATIONS_EXP}`;
      return null;
    }
    case 'add-coordinator':
    case 'remove-coordinator': {
      const keys = exactKeys(args, ['publicKey']);
      if (keys) return keys;
      if (!isHex(args.publicKey, 32)) return 'publicKey must be 64 lowercase hex characters';
      try {
        parsePublicKey(args.publicKey);
      } catch (err) {
        return (err as Error).message;
      }
      return null;
    }
    case 'revoke-participant': {
      const keys = exactKeys(args, ['participantId']);
      if (keys) return keys;
      return typeof args.participantId === 'string' && participantIdPattern.test(args.participantId)
        ? null
        : 'participantId must look like p1, p2, …';
    }
  }
}

/** The exact bytes an approval signs: the prefix, then the RFC 8785 canonical JSON of {ceremony, action, arguments}. */
export function approvalMessage(request: ApprovalRequest): Uint8Array {
  if (typeof request?.ceremony !== 'string' || request.ceremony.length === 0)
    throw new TypeError('approvalMessage: expected a ceremony id');
  const problem = approvalArgumentsProblem(request.action, request.arguments);
  if (problem) throw new TypeError(`approvalMessage: ${problem}`);
  const { ceremony, action } = request;
  return new TextEncoder().encode(
    APPROVAL_PREFIX + canonicalize({ ceremony, action, arguments: request.arguments }),
  );
}

/** The request's name: SHA-256 of the bytes its approvals sign (what `admin pending` shows, `admin withdraw` takes). */
export function approvalRequestId(request: ApprovalRequest): string {
  return toHex(sha256(approvalMessage(request)));
}
