// Reads what the coordinator needs from a Groth16 zkey (snarkjs format, see SNARKJS-NOTES.md "zkey container")
// by random access: the section table, the Groth16 header (section 2) and the contributions (section 10).
// The L and H sections, which hold almost all of a big zkey, are never read.
import { open } from 'node:fs/promises';
import { blake2b } from '@noble/hashes/blake2.js';
import { toHex } from '../crypto/hex.js';
import { CeremonyError } from '../errors.js';
import { type BinFileLayout, findUniqueSection, readBinLayout, readExact, readUintLE } from './bin-file.js';
import { BN128_Q, BN128_R, G1_BYTES, G2_BYTES, isCanonicalPoint, toUncompressedBE } from './bn128-encoding.js';

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

export interface ZkeyInfo {
  fileSize: number;
  sections: { id: number; offset: number; size: number }[];
  nVars: number;
  nPublic: number;
  domainSize: number;
  power: number;
  delta1: Uint8Array;
  delta2: Uint8Array;
  /** Section 2 without delta1/delta2: equal for every zkey of one circuit. */
  headerWithoutDelta: Uint8Array;
  circuitHash: Uint8Array;
  contributions: ZkeyContribution[];
}

const groth16ProtocolId = 1;
// Section 2 layout: n8q, q, n8r, r, nVars, nPublic, domainSize, alpha1, beta1, beta2, gamma2, delta1, delta2.
const headerSize = 4 + 32 + 4 + 32 + 12 + 2 * G1_BYTES + 2 * G2_BYTES + G1_BYTES + G2_BYTES;
const delta1Offset = headerSize - G1_BYTES - G2_BYTES;
// (offset, length) of alpha1, beta1, beta2, gamma2, delta1, delta2.
const headerPoints = [
  [84, G1_BYTES],
  [148, G1_BYTES],
  [212, G2_BYTES],
  [340, G2_BYTES],
  [468, G1_BYTES],
  [532, G2_BYTES],
] as const;
const coefficientBytes = 12 + 32;
// Each contribution takes 407 bytes plus its name; 1 MiB allows thousands and stops a hostile size early.
const maxContributionsSection = 1 << 20;
const fixedContributionBytes = 3 * G1_BYTES + G2_BYTES + 64 + 4 + 4;

function fail(message: string): CeremonyError {
  return new CeremonyError('INVALID_ZKEY', message);
}

export async function readZkeyInfo(path: string): Promise<ZkeyInfo> {
  if (typeof path !== 'string' || path === '') throw new TypeError('readZkeyInfo: path must be a non-empty string');
  const handle = await open(path, 'r');
  try {
    const layout = await readBinLayout(handle, 'zkey', fail);
    if (layout.version !== 1) throw fail(`unsupported zkey version ${layout.version}`);
    for (const s of layout.sections) if (s.id < 1 || s.id > 10) throw fail(`unexpected section ${s.id}`);
    for (let id = 1; id <= 10; id++) findUniqueSection(layout, id, fail);
    const read = (id: number, what: string) => {
      const s = findUniqueSection(layout, id, fail);
      return readExact(handle, s.offset, s.size, fail, what);
    };
    const protocol = await read(1, 'protocol section');
    if (protocol.length !== 4) throw fail(`protocol section has ${protocol.length} bytes, expected 4`);
    const protocolId = new DataView(protocol.buffer).getUint32(0, true);
    if (protocolId !== groth16ProtocolId) throw fail(`not a Groth16 zkey (protocol id ${protocolId})`);

    const header = await read(2, 'Groth16 header');
    const parsed = parseGroth16Header(header);
    const coefficientCount = await readCoefficientCount(handle, layout);
    checkSectionSizes(layout, parsed, coefficientCount);

    const s10 = findUniqueSection(layout, 10, fail);
    if (s10.size > maxContributionsSection) throw fail(`contributions section is too large (${s10.size} bytes)`);
    const { circuitHash, contributions } = parseContributions(await read(10, 'contributions section'));
    return {
      fileSize: layout.fileSize,
      sections: layout.sections.map((s) => ({ ...s })),
      ...parsed,
      delta1: header.slice(delta1Offset, delta1Offset + G1_BYTES),
      delta2: header.slice(delta1Offset + G1_BYTES, headerSize),
      headerWithoutDelta: header.slice(0, delta1Offset),
      circuitHash,
      contributions,
    };
  } finally {
    await handle.close();
  }
}

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
    throw new TypeError(`contributionHashOf: ${what} must be a ${length}-byte point with coordinates below q`);
  }
}

function parseGroth16Header(header: Uint8Array): Pick<ZkeyInfo, 'nVars' | 'nPublic' | 'domainSize' | 'power'> {
  if (header.length !== headerSize) throw fail(`Groth16 header has ${header.length} bytes, expected ${headerSize}`);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (view.getUint32(0, true) !== 32 || readUintLE(header.subarray(4, 36)) !== BN128_Q) {
    throw fail('zkey is not over bn128 (= BN254): base field prime differs');
  }
  if (view.getUint32(36, true) !== 32 || readUintLE(header.subarray(40, 72)) !== BN128_R) {
    throw fail('zkey is not over bn128 (= BN254): scalar field prime differs');
  }
  const nVars = view.getUint32(72, true);
  const nPublic = view.getUint32(76, true);
  const domainSize = view.getUint32(80, true);
  if (nPublic + 1 > nVars) throw fail(`header has nPublic ${nPublic} but only ${nVars} variables`);
  if (domainSize < 2 || (domainSize & (domainSize - 1)) !== 0) throw fail(`domain size ${domainSize} is not 2^n`);
  for (const [offset, length] of headerPoints) {
    if (!isCanonicalPoint(header.subarray(offset, offset + length))) {
      throw fail('Groth16 header holds a coordinate that is not reduced modulo q');
    }
  }
  return { nVars, nPublic, domainSize, power: Math.log2(domainSize) };
}

async function readCoefficientCount(handle: Parameters<typeof readExact>[0], layout: BinFileLayout) {
  const s4 = findUniqueSection(layout, 4, fail);
  if (s4.size < 4) throw fail('coefficients section is truncated');
  const head = await readExact(handle, s4.offset, 4, fail, 'coefficients section');
  return new DataView(head.buffer).getUint32(0, true);
}

// Sizes follow from the header, so a truncated or padded section is caught without reading it.
function checkSectionSizes(layout: BinFileLayout, h: Pick<ZkeyInfo, 'nVars' | 'nPublic' | 'domainSize'>, nCoefs: number) {
  const expected: [number, number, string][] = [
    [3, (h.nPublic + 1) * G1_BYTES, 'IC'],
    [4, 4 + nCoefs * coefficientBytes, 'coefficients'],
    [5, h.nVars * G1_BYTES, 'A'],
    [6, h.nVars * G1_BYTES, 'B1'],
    [7, h.nVars * G2_BYTES, 'B2'],
    [8, (h.nVars - h.nPublic - 1) * G1_BYTES, 'L'],
    [9, h.domainSize * G1_BYTES, 'H'],
  ];
  for (const [id, size, name] of expected) {
    const actual = findUniqueSection(layout, id, fail).size;
    if (actual !== size) throw fail(`${name} section (${id}) has ${actual} bytes, the header implies ${size}`);
  }
}

function parseContributions(section: Uint8Array): { circuitHash: Uint8Array; contributions: ZkeyContribution[] } {
  if (section.length < 68) throw fail('contributions section is shorter than its fixed header');
  const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
  const circuitHash = section.slice(0, 64);
  const count = view.getUint32(64, true);
  let position = 68;
  const contributions: ZkeyContribution[] = [];
  for (let i = 0; i < count; i++) {
    const end = contributionEnd(section, view, position, i);
    contributions.push(parseContribution(section.subarray(position, end), i));
    position = end;
  }
  if (position !== section.length) throw fail(`contributions section has ${section.length - position} extra bytes`);
  return { circuitHash, contributions };
}

function contributionEnd(section: Uint8Array, view: DataView, start: number, index: number): number {
  const paramsAt = start + fixedContributionBytes;
  if (paramsAt > section.length) throw fail(`contribution ${index} is truncated`);
  const end = paramsAt + view.getUint32(paramsAt - 4, true);
  if (end > section.length) throw fail(`contribution ${index} parameters are truncated`);
  return end;
}

function parseContribution(raw: Uint8Array, index: number): ZkeyContribution {
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
  const params = parseParams(raw.subarray(fixedContributionBytes), index);
  if (type === 1 && (params.numIterationsExp === undefined || params.beaconHash === undefined)) {
    throw fail(`beacon contribution ${index} lacks its beacon hash or iteration count`);
  }
  const c = { deltaAfter, g1S, g1Sx, g2Spx, transcript, type, ...params } as const;
  return { ...c, raw: raw.slice(), contributionHash: contributionHashOf(c) };
}

// Tagged parameters, strictly increasing tags: 1 name, 2 numIterationsExp, 3 beacon hash (snarkjs readContribution).
function parseParams(bytes: Uint8Array, index: number) {
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
