import { readdirSync, readFileSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../src/errors.js';
import { checkContributionChain } from '../../src/snark/contribution-chain.js';
import {
  applyBeacon,
  contribute,
  createInitialZkey,
  exportSolidityVerifier,
  exportVerificationKey,
  readPtauInfo,
  readR1csInfo,
  requiredPower,
  SnarkJobError,
  verifyFromInit,
  verifyFromR1cs,
} from '../../src/snark/runner.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import {
  buildZkeyChain,
  fixturePath,
  makeTempDir,
  removeZkeyDirs,
  writeEditedCopy,
  type ZkeyChain,
} from '../helpers/zkeys.js';

const r1cs1021 = fixturePath('mulchain-1021.r1cs');
const r1cs4093 = fixturePath('mulchain-4093.r1cs');
const pot10 = fixturePath('pot10.ptau');

let chain: ZkeyChain;
let dir: string;

beforeAll(async () => {
  chain = await buildZkeyChain({ contributions: 1 });
  dir = await makeTempDir();
});
afterAll(removeZkeyDirs);

async function expectCeremonyError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CeremonyError);
  expect((err as CeremonyError).code).toBe(code);
  expect((err as CeremonyError).message).toMatch(message);
}

/** Pids of this process's live children (Linux /proc). */
function childPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat = '';
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command: state, ppid, ...
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === process.pid && state !== 'Z') pids.push(Number(name));
  }
  return pids;
}

/** Starts a job and returns it with the pid of the child it forked (fork is synchronous, so it exists at once). */
function startJob<T>(start: () => Promise<T>): { job: Promise<T>; pid: number } {
  const before = new Set(childPids());
  const job = start();
  const started = childPids().filter((pid) => !before.has(pid));
  if (started.length !== 1) throw new Error(`startJob: expected one new child, found ${started.length}`);
  return { job, pid: started[0]! };
}

/** Waits until `pid` no longer runs (gone, or a zombie awaiting its reaping); fails after a few seconds. */
async function waitForProcessGone(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`waitForProcessGone: child ${pid} still runs`);
}

async function expectJobError(promise: Promise<unknown>, failure: string, message: RegExp): Promise<void> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SnarkJobError);
  expect((err as SnarkJobError).failure).toBe(failure);
  expect((err as SnarkJobError).message).toMatch(message);
}

describe('r1cs and ptau headers', () => {
  it('reads the fixtures', async () => {
    expect(await readR1csInfo(r1cs1021)).toEqual({
      constraints: 1021,
      nVars: 1023,
      nPublic: 2,
      nOutputs: 1,
      prime: 'bn128',
    });
    expect((await readR1csInfo(r1cs4093)).constraints).toBe(4093);
    expect(await readPtauInfo(pot10)).toEqual({ power: 10, ceremonyPower: 10, preparedForPhase2: true });
    expect((await readPtauInfo(fixturePath('pot12.ptau'))).power).toBe(12);
  });

  it('refuses swapped, truncated and unprepared files', async () => {
    await expectCeremonyError(readR1csInfo(pot10), 'INVALID_R1CS', /not a r1cs file/);
    await expectCeremonyError(readPtauInfo(r1cs1021), 'INVALID_PTAU', /not a ptau file/);
    const cutR1cs = await writeEditedCopy(r1cs1021, dir, 'cut.r1cs', (b) => b.subarray(0, 1000));
    await expectCeremonyError(readR1csInfo(cutR1cs), 'INVALID_R1CS', /truncated/);
    const cutPtau = await writeEditedCopy(pot10, dir, 'cut.ptau', (b) => b.subarray(0, b.length - 64));
    await expectCeremonyError(readPtauInfo(cutPtau), 'INVALID_PTAU', /truncated/);
    // What `powersoftau contribute` produces before `prepare phase2`: sections 1-7 only (section 12's data
    // starts at byte 394947 of the pinned fixture).
    const unprepared = await writeEditedCopy(pot10, dir, 'raw.ptau', (b) => {
      const raw = Buffer.from(b.subarray(0, 394947 - 12));
      raw.writeUInt32LE(7, 8);
      return raw;
    });
    await expectCeremonyError(readPtauInfo(unprepared), 'INVALID_PTAU', /not prepared for phase 2/);
  });

  it('computes the power zkey new uses', async () => {
    expect(requiredPower(1021, 2)).toBe(10);
    expect(requiredPower(1022, 2)).toBe(11);
    expect(requiredPower(4093, 2, 4095)).toBe(12);
    expect(requiredPower(0, 0)).toBe(1);
    expect((await readZkeyInfo(chain.init)).power).toBe(requiredPower(1021, 2));
    expect(() => requiredPower(-1, 0)).toThrow(/requiredPower: constraints/);
  });
});

describe('snarkjs jobs in a child process', () => {
  it('creates the same initial zkey as snarkjs in-process, and refuses a too-small ptau', async () => {
    const out = join(dir, 'init.zkey');
    const started = performance.now();
    const stats = await createInitialZkey(r1cs1021, pot10, out);
    const elapsedMs = performance.now() - started;
    // The job's own clock lies inside the caller's; a unit slip (seconds, microseconds) breaks this.
    expect(stats.durationMs).toBeGreaterThan(0);
    expect(stats.durationMs).toBeLessThanOrEqual(elapsedMs);
    // Peak RSS is in bytes (the OS reports KiB): a Node child with snarkjs loaded holds tens of MiB, less than the machine.
    expect(stats.maxRssBytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(stats.maxRssBytes).toBeLessThan(totalmem());
    expect((await readFile(out)).equals(await readFile(chain.init))).toBe(true);
    const big = join(dir, 'big.zkey');
    await expectCeremonyError(
      createInitialZkey(r1cs4093, pot10, big),
      'INVALID_PTAU',
      /needs powers of tau 2\^12, the ptau has 2\^10/,
    );
    await expect(access(big)).rejects.toThrow();
  });

  it('contributes, and the result extends the chain and verifies both ways', async () => {
    const out = join(dir, 'contributed.zkey');
    const result = await contribute(chain.contributions[0]!, out, 'dave', 'correct horse battery staple');
    const [prev, next] = await Promise.all([readZkeyInfo(chain.contributions[0]!), readZkeyInfo(out)]);
    expect(next.contributions.at(-1)).toMatchObject({
      name: 'dave',
      contributionHash: result.contributionHash,
    });
    expect(checkContributionChain(prev, next).ok).toBe(true);
    expect(await verifyFromInit(chain.init, pot10, out)).toMatchObject({ ok: true });
    expect(await verifyFromR1cs(r1cs1021, pot10, out)).toMatchObject({ ok: true });
  });

  it('reports a zkey whose L section was tampered with as not ok', async () => {
    const info = await readZkeyInfo(chain.contributions[0]!);
    const l = info.sections.find((s) => s.id === 8)!;
    const pointA = l.offset;
    const pointB = l.offset + 64;
    const swapped = await writeEditedCopy(chain.contributions[0]!, dir, 'swapped-l.zkey', (b) => {
      const a = b.slice(pointA, pointA + 64);
      b.copyWithin(pointA, pointB, pointB + 64);
      b.set(a, pointB);
      return b;
    });
    const verdict = await verifyFromInit(chain.init, pot10, swapped);
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringMatching(/L section/) });
  });

  it('applies a beacon within the iteration cap', async () => {
    const out = join(dir, 'beacon.zkey');
    await expectCeremonyError(
      applyBeacon(chain.contributions[0]!, out, 'b', 'ab', 9),
      'BAD_REQUEST',
      /10\.\.32/,
    );
    await expectCeremonyError(
      applyBeacon(chain.contributions[0]!, out, 'b', 'ab', 33),
      'BAD_REQUEST',
      /10\.\.32/,
    );
    await expectCeremonyError(
      applyBeacon(chain.contributions[0]!, out, 'b', 'xyz', 10),
      'BAD_REQUEST',
      /hex/,
    );
    const result = await applyBeacon(chain.contributions[0]!, out, 'final', 'ab'.repeat(32), 10);
    const last = (await readZkeyInfo(out)).contributions.at(-1)!;
    expect(last).toMatchObject({ type: 1, numIterationsExp: 10, contributionHash: result.contributionHash });
  });

  it('exports the verification key and the Solidity verifier', async () => {
    const { verificationKey } = await exportVerificationKey(chain.contributions[0]!);
    expect(verificationKey).toMatchObject({ protocol: 'groth16', curve: 'bn128', nPublic: 2 });
    expect((verificationKey as { IC: unknown[] }).IC).toHaveLength(3);
    const { solidity } = await exportSolidityVerifier(chain.contributions[0]!);
    expect(solidity).toMatch(/pragma solidity/);
    expect(solidity).toMatch(/contract Groth16Verifier/);
  });

  it('turns a failure in the child into a rejected promise', async () => {
    await expectJobError(
      contribute(join(dir, 'missing.zkey'), join(dir, 'x.zkey'), 'x', 'y'),
      'failed',
      /ENOENT/,
    );
    await expect(contribute(chain.init, join(dir, 'x.zkey'), 'x', '')).rejects.toThrow(/contribute: entropy/);
  });

  it('kills the child on timeout and on abort', async () => {
    const timedOut = startJob(() => verifyFromR1cs(r1cs1021, pot10, chain.init, { timeoutMs: 50 }));
    await expectJobError(timedOut.job, 'timeout', /timed out/);
    await waitForProcessGone(timedOut.pid);

    const controller = new AbortController();
    const running = startJob(() =>
      verifyFromR1cs(r1cs1021, pot10, chain.init, { signal: controller.signal }),
    );
    controller.abort();
    await expectJobError(running.job, 'aborted', /aborted/);
    await waitForProcessGone(running.pid);
    await expectJobError(
      verifyFromInit(chain.init, pot10, chain.init, { signal: controller.signal }),
      'aborted',
      /before/,
    );
  });

  it('passes a heap limit to the child', async () => {
    const running = startJob(() =>
      verifyFromInit(chain.init, pot10, chain.contributions[0]!, { maxOldSpaceMb: 512 }),
    );
    const argv = readFileSync(`/proc/${running.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain('--max-old-space-size=512');
    expect((await running.job).ok).toBe(true);
    await expect(verifyFromInit(chain.init, pot10, chain.init, { maxOldSpaceMb: 1 })).rejects.toThrow(
      /maxOldSpaceMb/,
    );
  });
});
