// Parses what the coordinator needs from a Groth16 zkey (snarkjs format, docs/PROTOCOL.md section 11) by random
// access: the section table, the Groth16 header (section 2) and the contributions (section 10). The L and H
// sections, which hold almost all of a big zkey, are never read. No Node imports: the browser's audit parses here.
import { CeremonyError } from '../errors.js';
import {
  type BinFileLayout,
  type ByteSource,
  findUniqueSection,
  readBinLayout,
  readExact,
  readUintLE,
} from './bin-file.js';
import { BN128_Q, BN128_R, G1_BYTES, G2_BYTES, isCanonicalPoint } from './bn128-encoding.js';
import { parseContributions, type ZkeyContribution } from './zkey-contributions.js';

export { contributionHashOf, hashPublicKey, type ZkeyContribution } from './zkey-contributions.js';

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
// Each contribution takes 392 bytes plus its parameters; 1 MiB allows thousands and stops a hostile size early.
const maxContributionsSection = 1 << 20;

function fail(message: string): CeremonyError {
  return new CeremonyError('INVALID_ZKEY', message);
}

/** The zkey's header and contributions, read from `handle` (a file, or bytes via bytesSource). */
export async function parseZkeyInfo(handle: ByteSource): Promise<ZkeyInfo> {
  const layout = await readBinLayout(handle, 'zkey', fail);
  if (layout.version !== 1) throw fail(`unsupported zkey version ${layout.version}`);
  for (const s of layout.sections) if (s.id < 1 || s.id > 10) throw fail(`unexpected section ${s.id}`);
  for (let id = 1; id <= 10; id++) findUniqueSection(layout, id, fail);
  // Sizes are checked before reading so that a hostile section table cannot make us load gigabytes.
  const read = (id: number, what: string, maxSize: number) => {
    const s = findUniqueSection(layout, id, fail);
    if (s.size > maxSize) throw fail(`${what} has ${s.size} bytes, at most ${maxSize} expected`);
    return readExact(handle, s.offset, s.size, fail, what);
  };
  const protocol = await read(1, 'protocol section', 4);
  if (protocol.length !== 4) throw fail(`protocol section has ${protocol.length} bytes, expected 4`);
  const protocolId = new DataView(protocol.buffer).getUint32(0, true);
  if (protocolId !== groth16ProtocolId) throw fail(`not a Groth16 zkey (protocol id ${protocolId})`);

  const header = await read(2, 'Groth16 header', headerSize);
  const parsed = parseGroth16Header(header);
  const coefficientCount = await readCoefficientCount(handle, layout);
  checkSectionSizes(layout, parsed, coefficientCount);

  const section10 = await read(10, 'contributions section', maxContributionsSection);
  const { circuitHash, contributions } = parseContributions(section10, fail);
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
}

function parseGroth16Header(
  header: Uint8Array,
): Pick<ZkeyInfo, 'nVars' | 'nPublic' | 'domainSize' | 'power'> {
  if (header.length !== headerSize)
    throw fail(`Groth16 header has ${header.length} bytes, expected ${headerSize}`);
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
  if (domainSize < 2 || (domainSize & (domainSize - 1)) !== 0)
    throw fail(`domain size ${domainSize} is not 2^n`);
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
function checkSectionSizes(
  layout: BinFileLayout,
  h: Pick<ZkeyInfo, 'nVars' | 'nPublic' | 'domainSize'>,
  nCoefs: number,
) {
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
    if (actual !== size)
      throw fail(`${name} section (${id}) has ${actual} bytes, the header implies ${size}`);
  }
}
