// Cheap header reads of r1cs and ptau files, done before any snarkjs job: snarkjs's `zkey new` on a bad or
// too-small ptau can fail late or spin forever (snarkjs issue #622), so the coordinator refuses such inputs first.
import { open } from 'node:fs/promises';
import { CeremonyError } from '../errors.js';
import {
  type BinFileLayout,
  type FailWith,
  findOptionalSection,
  findUniqueSection,
  readBinLayout,
  readExact,
  readUintLE,
} from './bin-file.js';
import { BN128_Q, BN128_R, G1_BYTES, G2_BYTES } from './bn128-encoding.js';

export interface R1csInfo {
  constraints: number;
  nVars: number;
  /** Public inputs plus outputs: the zkey's nPublic. */
  nPublic: number;
  nOutputs: number;
  prime: 'bn128';
}

export interface PtauInfo {
  power: number;
  ceremonyPower: number;
  /** Always true for a value returned by readPtauInfo: an unprepared ptau is refused. */
  preparedForPhase2: boolean;
}

const failR1cs: FailWith = (message) => new CeremonyError('INVALID_R1CS', message);
const failPtau: FailWith = (message) => new CeremonyError('INVALID_PTAU', message);
// Largest power any published Powers of Tau file has.
const maxPtauPower = 28;

export async function readR1csInfo(path: string): Promise<R1csInfo> {
  assertPath(path, 'readR1csInfo');
  return withFile(path, 'r1cs', failR1cs, async (layout, read) => {
    if (layout.version !== 1) throw failR1cs(`unsupported r1cs version ${layout.version}`);
    findUniqueSection(layout, 2, failR1cs);
    if (layout.sections.some((s) => s.id === 4 || s.id === 5)) {
      throw failR1cs('r1cs uses custom gates, which Groth16 does not support');
    }
    const header = await read(findUniqueSection(layout, 1, failR1cs));
    const view = new DataView(header.buffer);
    const n8 = header.length >= 4 ? view.getUint32(0, true) : 0;
    if (n8 !== 32 || header.length !== 4 + n8 + 28) throw failR1cs(`r1cs header has an unexpected size`);
    if (readUintLE(header.subarray(4, 36)) !== BN128_R) {
      throw failR1cs('r1cs is over another field: only bn128 (= BN254) is supported');
    }
    const nVars = view.getUint32(36, true);
    const nOutputs = view.getUint32(40, true);
    const nPublic = nOutputs + view.getUint32(44, true);
    const constraints = view.getUint32(60, true);
    if (nPublic + 1 > nVars) throw failR1cs(`r1cs declares ${nPublic} public signals but ${nVars} wires`);
    return { constraints, nVars, nPublic, nOutputs, prime: 'bn128' as const };
  });
}

export async function readPtauInfo(path: string): Promise<PtauInfo> {
  assertPath(path, 'readPtauInfo');
  return withFile(path, 'ptau', failPtau, async (layout, read) => {
    if (layout.version !== 1) throw failPtau(`unsupported ptau version ${layout.version}`);
    const header = await read(findUniqueSection(layout, 1, failPtau));
    const view = new DataView(header.buffer);
    if (header.length !== 44 || view.getUint32(0, true) !== 32)
      throw failPtau('ptau header has an unexpected size');
    if (readUintLE(header.subarray(4, 36)) !== BN128_Q) {
      throw failPtau('ptau is over another curve: only bn128 (= BN254) is supported');
    }
    const power = view.getUint32(36, true);
    const ceremonyPower = view.getUint32(40, true);
    if (power < 1 || power > maxPtauPower)
      throw failPtau(`ptau power ${power} is out of range 1..${maxPtauPower}`);
    checkPtauSections(layout, power);
    return { power, ceremonyPower, preparedForPhase2: true };
  });
}

/** The power snarkjs's `zkey new` needs: the domain 2^power must exceed constraints + nPublic. */
export function requiredPower(constraints: number, nPublic: number, nVars?: number): number {
  for (const [name, value] of [
    ['constraints', constraints],
    ['nPublic', nPublic],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TypeError(`requiredPower: ${name} must be a non-negative integer, got ${value}`);
    }
  }
  if (nVars !== undefined && (!Number.isSafeInteger(nVars) || nVars < nPublic + 1)) {
    throw new TypeError(`requiredPower: nVars must be an integer of at least nPublic + 1, got ${nVars}`);
  }
  // snarkjs: log2(constraints + nPublic) + 1 with an integer log2 where log2(0) = 0, i.e. the bit length.
  return Math.max(1, (constraints + nPublic).toString(2).length);
}

/**
 * Checks an r1cs and a ptau belong together before any snarkjs job: both headers read, and a ptau large enough for
 * the circuit. Returns the circuit's constraints and the power its domain needs.
 */
export async function checkCircuitInputs(
  r1csPath: string,
  ptauPath: string,
): Promise<{ constraints: number; power: number }> {
  const r1cs = await readR1csInfo(r1csPath);
  const ptau = await readPtauInfo(ptauPath);
  const power = requiredPower(r1cs.constraints, r1cs.nPublic, r1cs.nVars);
  if (ptau.power < power) {
    throw new CeremonyError(
      'INVALID_PTAU',
      `circuit needs powers of tau 2^${power}, the ptau has 2^${ptau.power}`,
    );
  }
  return { constraints: r1cs.constraints, power };
}

// Section sizes follow from the power (snarkjs powersoftau new / prepare phase2), so a truncated file fails here.
function checkPtauSections(layout: BinFileLayout, power: number): void {
  const n = 2 ** power;
  const expected: [number, number, string][] = [
    [2, (2 * n - 1) * G1_BYTES, 'tauG1'],
    [3, n * G2_BYTES, 'tauG2'],
    [4, n * G1_BYTES, 'alphaTauG1'],
    [5, n * G1_BYTES, 'betaTauG1'],
    [6, G2_BYTES, 'betaG2'],
  ];
  const prepared: [number, number, string][] = [
    [12, (4 * n - 1) * G1_BYTES, 'Lagrange tauG1'],
    [13, (2 * n - 1) * G2_BYTES, 'Lagrange tauG2'],
    [14, (2 * n - 1) * G1_BYTES, 'Lagrange alphaTauG1'],
    [15, (2 * n - 1) * G1_BYTES, 'Lagrange betaTauG1'],
  ];
  for (const [id, size, name] of expected) {
    const actual = findUniqueSection(layout, id, failPtau).size;
    if (actual !== size)
      throw failPtau(`ptau ${name} section has ${actual} bytes, power ${power} needs ${size}`);
  }
  if (prepared.every(([id]) => findOptionalSection(layout, id, failPtau) === undefined)) {
    throw failPtau('ptau is not prepared for phase 2 (run `snarkjs powersoftau prepare phase2` first)');
  }
  for (const [id, size, name] of prepared) {
    const actual = findUniqueSection(layout, id, failPtau).size;
    if (actual !== size)
      throw failPtau(`ptau ${name} section has ${actual} bytes, power ${power} needs ${size}`);
  }
}

async function withFile<T>(
  path: string,
  magic: string,
  fail: FailWith,
  body: (
    layout: BinFileLayout,
    read: (s: { offset: number; size: number }) => Promise<Uint8Array>,
  ) => Promise<T>,
): Promise<T> {
  const handle = await open(path, 'r');
  try {
    const layout = await readBinLayout(handle, magic, fail);
    // Headers are small; a huge one is garbage and must not be read into memory.
    const read = (s: { offset: number; size: number }) => {
      if (s.size > 4096) throw fail(`${magic} header section is ${s.size} bytes`);
      return readExact(handle, s.offset, s.size, fail, `${magic} header`);
    };
    return await body(layout, read);
  } finally {
    await handle.close();
  }
}

function assertPath(path: string, fn: string): void {
  if (typeof path !== 'string' || path === '') throw new TypeError(`${fn}: path must be a non-empty string`);
}
