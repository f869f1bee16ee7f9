// Section 10 of a zkey: the circuit hash and the list of contributions, and the contribution hash snarkjs prints
// (zkey_utils.js readContribution / writeContribution / hashPubKey).
import { blake2b } from '@noble/hashes/blake2.js';
import { toHex } from '../crypto/hex.js';
import type { CeremonyError } from '../errors.js';
import { G1_BYTES, G2_BYTES, isCanonicalPoint, toUncompressedBE } from './bn128-encoding.js';

/** One entry of section 10. Points are raw file bytes (affine, little-endian Montgomery). */
export interface ZkeyContribution {
  deltaAfter: Uint8Array;
  g1S: Uint8Array;
  g1Sx: Uint8Array;
  g2Spx: Uint8Array;
  transcript: Uint8Array;
  /** 0 = participant contribution, 1 = random beacon. */
  type: 0 | 1;
  name?: string;
  numIterationsExp?: number;
  beaconHash?: Uint8Array;
  /** The exact bytes of this entry in section 10. */
  raw: Uint8Array;
  /** 128 lowercase hex: BLAKE2b-512 as snarkjs prints it after contribute / beacon / verify. */
  contributionHash: string;
}

type Fail = (message: string) => CeremonyError;

// deltaAfter, g1_s, g1_sx (G1), g2_spx (G2), transcript (64), u32 type, u32 parameter length.
const fixedContributionBytes = 3 * G1_BYTES + G2_BYTES + 64 + 4 + 4;

/** BLAKE2b-512 over deltaAfter ‖ g1_s ‖ g1_sx ‖ g2_spx (uncompressed, big-endian) ‖ transcript, as snarkjs. */
export function contributionHashOf(c: Omit<ZkeyContribution, 'contributionHash' | 'raw'>): string {
  assertPoint(c.deltaAfter, G1_BYTES, 'deltaAfter');
  assertPoint(c.g1S, G1_BYTES, 'g1S');
  assertPoint(c.g1Sx, G1_BYTES, 'g1Sx');
  assertPoint(c.g2Spx, G2_BYTES, 'g2Spx');
  if (!(c.transcript instanceof Uint8Array) || c.transcript.length !== 64) {
    throw new TypeError('contributionHashOf: transcript must be 64 bytes');
  }
  const hasher = blake2b.create({ dkLen: 64 });
  hashPublicKey(hasher, c);
  return toHex(hasher.digest());
}

/** Feeds a contribution's public key into a running BLAKE2b (snarkjs zkey_utils.hashPubKey). */
export function hashPublicKey(
  hasher: { update(data: Uint8Array): unknown },
  c: Pick<ZkeyContribution, 'deltaAfter' | 'g1S' | 'g1Sx' | 'g2Spx' | 'transcript'>,
): void {
  hasher.update(toUncompressedBE(c.deltaAfter));
  hasher.update(toUncompressedBE(c.g1S));
  hasher.update(toUncompressedBE(c.g1Sx));
  hasher.update(toUncompressedBE(c.g2Spx));
  hasher.update(c.transcript);
}

function assertPoint(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length || !isCanonicalPoint(bytes)) {
    throw new TypeError(
      `contributionHashOf: ${what} must be a ${length}-byte point with coordinates below q`,
    );
  }
}

/** Parses section 10; `fail` builds the error for a malformed entry (INVALID_ZKEY). */
export function parseContributions(
  section: Uint8Array,
  fail: (message: string) => CeremonyError,
): {
  circuitHash: Uint8Array;
  contributions: ZkeyContribution[];
} {
  if (section.length < 68) throw fail('contributions section is shorter than its fixed header');
  const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
  const circuitHash = section.slice(0, 64);
  const count = view.getUint32(64, true);
  let position = 68;
  const contributions: ZkeyContribution[] = [];
  for (let i = 0; i < count; i++) {
    const end = contributionEnd(section, view, position, i, fail);
    contributions.push(parseContribution(section.subarray(position, end), i, fail));
    position = end;
  }
  if (position !== section.length)
    throw fail(`contributions section has ${section.length - position} extra bytes`);
  return { circuitHash, contributions };
}

function contributionEnd(
  section: Uint8Array,
  view: DataView,
  start: number,
  index: number,
  fail: Fail,
): number {
  const paramsAt = start + fixedContributionBytes;
  if (paramsAt > section.length) throw fail(`contribution ${index} is truncated`);
  const end = paramsAt + view.getUint32(paramsAt - 4, true);
  if (end > section.length) throw fail(`contribution ${index} parameters are truncated`);
  return end;
}

function parseContribution(raw: Uint8Array, index: number, fail: Fail): ZkeyContribution {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const at = (offset: number, length: number) => raw.slice(offset, offset + length);
  const deltaAfter = at(0, G1_BYTES);
  const g1S = at(64, G1_BYTES);
  const g1Sx = at(128, G1_BYTES);
  const g2Spx = at(192, G2_BYTES);
  for (const p of [deltaAfter, g1S, g1Sx, g2Spx]) {
    if (!isCanonicalPoint(p)) throw fail(`contribution ${index} holds a coordinate not reduced modulo q`);
  }
  const transcript = at(320, 64);
  const type = view.getUint32(384, true);
  if (type !== 0 && type !== 1) throw fail(`contribution ${index} has unknown type ${type}`);
  const params = parseParams(raw.subarray(fixedContributionBytes), index, fail);
  if (type === 1 && (params.numIterationsExp === undefined || params.beaconHash === undefined)) {
    throw fail(`beacon contribution ${index} lacks its beacon hash or iteration count`);
  }
  const c = { deltaAfter, g1S, g1Sx, g2Spx, transcript, type, ...params } as const;
  return { ...c, raw: raw.slice(), contributionHash: contributionHashOf(c) };
}

// Tagged parameters, strictly increasing tags: 1 name, 2 numIterationsExp, 3 beacon hash (snarkjs readContribution).
function parseParams(bytes: Uint8Array, index: number, fail: Fail) {
  const out: { name?: string; numIterationsExp?: number; beaconHash?: Uint8Array } = {};
  let position = 0;
  let lastTag = 0;
  const need = (n: number) => {
    if (position + n > bytes.length) throw fail(`contribution ${index} has a truncated parameter`);
  };
  while (position < bytes.length) {
    const tag = bytes[position++]!;
    if (tag <= lastTag) throw fail(`contribution ${index} parameters are not sorted`);
    lastTag = tag;
    need(1);
    if (tag === 2) {
      out.numIterationsExp = bytes[position++]!;
      continue;
    }
    const length = bytes[position++]!;
    need(length);
    const value = bytes.slice(position, position + length);
    position += length;
    if (tag === 1) out.name = new TextDecoder().decode(value);
    else if (tag === 3) out.beaconHash = value;
    else throw fail(`contribution ${index} has unknown parameter tag ${tag}`);
  }
  return out;
}
