// Real zkeys for tests, built in-process with snarkjs from the fixtures (independent of src/snark/runner.ts) and
// cached in one temp directory per test file. Call removeZkeyDirs() in afterAll.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';

export type FixtureCircuit = 'mulchain-1021' | 'mulchain-4093' | 'affine-chain-300';

export interface ZkeyChain {
  dir: string;
  r1cs: string;
  ptau: string;
  /** The initial zkey (zkey new). */
  init: string;
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
  const chain: ZkeyChain = { dir, r1cs, ptau, init, contributions: [], contributionHashes: [] };
  let previous = init;
  for (let i = 0; i < count; i++) {
    const next = join(dir, `zkey-${i + 1}.zkey`);
    const name = participantNames[i % participantNames.length]!;
    const hash = await snarkjs.zKey.contribute(previous, next, name, randomBytes(32).toString('hex'));
    chain.contributions.push(next);
    chain.contributionHashes.push(Buffer.from(hash).toString('hex'));
    previous = next;
  }
  if (withBeacon) {
    chain.beacon = join(dir, 'zkey-final.zkey');
    const hash = await snarkjs.zKey.beacon(previous, chain.beacon, 'final beacon', beaconHex, beaconIterationsExp);
    if (hash === false) throw new Error('buildZkeyChain: beacon failed');
    chain.beaconContributionHash = Buffer.from(hash).toString('hex');
  }
  return chain;
}

/** Stops snarkjs's worker threads and deletes the temp directories. */
export async function removeZkeyDirs(): Promise<void> {
  await Promise.allSettled([...chains.values()]);
  chains.clear();
  const curve = await snarkjs.curves.getCurveFromName('bn128');
  await curve.terminate();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
