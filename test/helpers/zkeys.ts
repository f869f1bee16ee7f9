// Real zkeys for tests, built in-process with snarkjs from the fixtures (independent of src/snark/runner.ts) and
// cached in one temp directory per test file. Call removeZkeyDirs() in afterAll.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';

export type FixtureCircuit =
  | 'mulchain-1021'
  | 'mulchain-4093'
  | 'affine-chain-300'
  | 'mulchain-1021-unused-2';

export interface ZkeyChain {
  dir: string;
  r1cs: string;
  ptau: string;
  /** The initial zkey (zkey new). */
  init: string;
  /** The circuit hash snarkjs returned from zkey new (hex). */
  circuitHash: string;
  /** contributions[i] is the zkey after participant contribution i + 1. */
  contributions: string[];
  /** The hex contribution hashes snarkjs returned, in order. */
  contributionHashes: string[];
  /** The zkey after the beacon on top of the last contribution, when asked for. */
  beacon?: string;
  beaconContributionHash?: string;
}

export const participantNames = ['alice', 'bob', 'carol', 'dave', 'erin'];
export const beaconHex = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';
export const beaconIterationsExp = 10;

const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url));
const ptauOf: Record<FixtureCircuit, string> = {
  'mulchain-1021': 'pot10.ptau',
  'mulchain-4093': 'pot12.ptau',
  'affine-chain-300': 'pot10.ptau',
  // Two private wires no constraint uses (test/helpers/unused-wire-r1cs.ts): the last two L points are infinity.
  'mulchain-1021-unused-2': 'pot10.ptau',
};
const chains = new Map<string, Promise<ZkeyChain>>();
const dirs: string[] = [];

export function fixturePath(name: string): string {
  return join(fixturesDir, name);
}

/** A fresh directory removed by removeZkeyDirs(). */
export async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ceremony-zkeys-'));
  dirs.push(dir);
  return dir;
}

/** Builds (once per test file) the initial zkey, `contributions` contributions and optionally a beacon. */
export function buildZkeyChain(
  options: { circuit?: FixtureCircuit; contributions?: number; beacon?: boolean } = {},
): Promise<ZkeyChain> {
  const circuit = options.circuit ?? 'mulchain-1021';
  const count = options.contributions ?? 3;
  const key = `${circuit}/${count}/${options.beacon === true}`;
  let chain = chains.get(key);
  if (!chain) {
    chain = createChain(circuit, count, options.beacon === true);
    chains.set(key, chain);
  }
  return chain;
}

async function createChain(circuit: FixtureCircuit, count: number, withBeacon: boolean): Promise<ZkeyChain> {
  const dir = await makeTempDir();
  const r1cs = fixturePath(`${circuit}.r1cs`);
  const ptau = fixturePath(ptauOf[circuit]);
  const init = join(dir, 'zkey-0.zkey');
  const created = await snarkjs.zKey.newZKey(r1cs, ptau, init);
  if (typeof created === 'number') throw new Error(`buildZkeyChain: zkey new failed for ${circuit}`);
  const circuitHash = Buffer.from(created).toString('hex');
  const chain: ZkeyChain = { dir, r1cs, ptau, init, circuitHash, contributions: [], contributionHashes: [] };
  let previous = init;
  for (let i = 0; i < count; i++) {
    const next = join(dir, `zkey-${i + 1}.zkey`);
    const name = participantNames[i % participantNames.length]!;
    chain.contributionHashes.push(await contributeOnto(previous, next, name));
    chain.contributions.push(next);
    previous = next;
  }
  if (withBeacon) {
    chain.beacon = join(dir, 'zkey-final.zkey');
    chain.beaconContributionHash = await beaconOnto(previous, chain.beacon);
  }
  return chain;
}

/** snarkjs zkey contribute with fresh random entropy; returns the contribution hash (hex). */
export async function contributeOnto(previous: string, out: string, name: string): Promise<string> {
  const hash = await snarkjs.zKey.contribute(previous, out, name, randomBytes(32).toString('hex'));
  return Buffer.from(hash).toString('hex');
}

/** snarkjs zkey beacon with the fixed test beacon; returns the contribution hash (hex). */
export async function beaconOnto(
  previous: string,
  out: string,
  iterationsExp = beaconIterationsExp,
): Promise<string> {
  const hash = await snarkjs.zKey.beacon(previous, out, 'final beacon', beaconHex, iterationsExp);
  if (hash === false) throw new Error('beaconOnto: snarkjs beacon failed');
  return Buffer.from(hash).toString('hex');
}

/** Writes a copy of `source` changed by `edit` (which may mutate and return its argument) into `dir`. */
export async function writeEditedCopy(
  source: string,
  dir: string,
  name: string,
  edit: (bytes: Uint8Array) => Uint8Array,
): Promise<string> {
  const out = join(dir, name);
  await writeFile(out, edit(new Uint8Array(await readFile(source))));
  return out;
}

/** Stops snarkjs's worker threads and deletes the temp directories. */
export async function removeZkeyDirs(): Promise<void> {
  await Promise.allSettled([...chains.values()]);
  chains.clear();
  const curve = await snarkjs.curves.getCurveFromName('bn128');
  await curve.terminate();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
