// "Does zkey_next extend zkey_prev by exactly one participant contribution?" from headers and section 10 only.
// snarkjs's own verify accepts forks, re-uploads, double contributions, renamed contributors and participant
// beacons (docs/SNARKJS.md), so these checks run before it and decide which error the participant sees.
import { equalBytes } from '@noble/curves/utils.js';
import type { ErrorCode } from '../errors.js';
import type { ZkeyContribution, ZkeyInfo } from './zkey-file.js';

export type ChainVerdict =
  | { ok: true; contribution: ZkeyContribution }
  | { ok: false; code: ErrorCode; message: string };

export function checkContributionChain(prev: ZkeyInfo, next: ZkeyInfo): ChainVerdict {
  assertInfo(prev, 'prev');
  assertInfo(next, 'next');
  const circuitProblem = findCircuitDifference(prev, next);
  if (circuitProblem) return refuse('ZKEY_WRONG_CIRCUIT', `zkey is for another circuit: ${circuitProblem}`);

  const old = prev.contributions;
  const added = next.contributions;
  const shared = Math.min(old.length, added.length);
  for (let i = 0; i < shared; i++) {
    const difference = describeDifference(old[i]!, added[i]!, i);
    if (difference) return refuse('ZKEY_NOT_EXTENDING', difference);
  }
  if (added.length < old.length) {
    return refuse(
      'ZKEY_NOT_EXTENDING',
      `zkey has ${added.length} contributions, the current zkey has ${old.length}: download the latest zkey`,
    );
  }
  if (added.length === old.length) {
    return refuse(
      'ZKEY_UNCHANGED',
      `zkey adds no contribution to the current zkey (${old.length} contributions)`,
    );
  }
  if (added.length > old.length + 1) {
    return refuse(
      'ZKEY_MULTIPLE_CONTRIBUTIONS',
      `zkey adds ${added.length - old.length} contributions, expected exactly one`,
    );
  }
  const contribution = added[old.length]!;
  if (contribution.type === 1) {
    return refuse(
      'ZKEY_BEACON_FROM_PARTICIPANT',
      'the new contribution is a beacon: only the coordinator applies it',
    );
  }
  if (equalBytes(next.delta1, prev.delta1) || equalBytes(next.delta2, prev.delta2)) {
    return refuse(
      'ZKEY_UNCHANGED',
      'delta is the same as in the current zkey: the contribution changed nothing',
    );
  }
  if (!equalBytes(contribution.deltaAfter, next.delta1)) {
    return refuse('ZKEY_HEADER_MISMATCH', "delta1 in the header is not the new contribution's deltaAfter");
  }
  return { ok: true, contribution };
}

function refuse(code: ErrorCode, message: string): ChainVerdict {
  return { ok: false, code, message };
}

// Everything but delta and section 10 is fixed by r1cs + ptau, so any difference means another circuit or setup.
function findCircuitDifference(prev: ZkeyInfo, next: ZkeyInfo): string | undefined {
  if (!equalBytes(prev.circuitHash, next.circuitHash)) return 'circuit hash differs';
  for (const field of ['nVars', 'nPublic', 'domainSize'] as const) {
    if (prev[field] !== next[field]) return `${field} is ${next[field]}, expected ${prev[field]}`;
  }
  if (!equalBytes(prev.headerWithoutDelta, next.headerWithoutDelta)) return 'Groth16 header differs';
  for (let id = 1; id <= 9; id++) {
    const a = prev.sections.find((s) => s.id === id)?.size;
    const b = next.sections.find((s) => s.id === id)?.size;
    if (a !== b) return `section ${id} has ${b} bytes, expected ${a}`;
  }
  return undefined;
}

function describeDifference(
  old: ZkeyContribution,
  candidate: ZkeyContribution,
  index: number,
): string | undefined {
  if (equalBytes(old.raw, candidate.raw)) return undefined;
  const label = `contribution #${index + 1}${old.name ? ` (${old.name})` : ''}`;
  if (old.contributionHash === candidate.contributionHash) {
    return `${label} was rewritten (its name or parameters changed)`;
  }
  return `${label} differs from the current zkey's: it was built on an older zkey; download the latest zkey`;
}

function assertInfo(info: ZkeyInfo, what: string): void {
  if (!info || !Array.isArray(info.contributions) || !(info.delta1 instanceof Uint8Array)) {
    throw new TypeError(`checkContributionChain: ${what} must be a ZkeyInfo from readZkeyInfo`);
  }
}
