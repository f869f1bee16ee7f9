// "Is zkey_new exactly zkey_prev plus one honest contribution?" checked incrementally (docs/VERIFIER.md):
// sections 1, 3-7 byte-identical (SHA-256 against zkey_prev's), section 2 identical but for delta, section 10 the
// old records plus one (checkContributionChain), the new record's proof of knowledge with delta_new = x·delta_prev,
// e(delta1, g2) = e(g1, delta2), and for L (8) and H (9) e(Σ rᵢ·P_new[i], δ2_new) = e(Σ rᵢ·P_prev[i], δ2_prev)
// with secret 64-bit rᵢ. The zkey_prev side is computed once when it is accepted (prepareStep); zkey_new is fed
// chunk by chunk (startStepCheck) so the verdict is ready right after its last byte.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { equalBytes } from '@noble/curves/utils.js';
import { CeremonyError, type ErrorCode } from '../../errors.js';
import { G1_BYTES, G2_BYTES } from '../bn128-encoding.js';
import { type ChainVerdict, checkContributionChain } from '../contribution-chain.js';
import { verifyDeltaPair, verifyLastContributionProof } from '../pok.js';
import { parseContributions } from '../zkey-contributions.js';
import { readZkeyInfo, type ZkeyInfo } from '../zkey-file.js';
import { type Curve, getCurve, pairingsEqual } from './curve.js';
import { PointSum } from './point-sum.js';
import { makeScalarSource, type ScalarSource } from './scalars.js';
import { wasmPokEngine } from './wasm-pok.js';
import { type SectionSink, ZkeyStreamReader } from './zkey-stream.js';

export type StepVerdict = ChainVerdict;

/** zkey_prev's side of the check, secret (its scalars) and single-use: a verification consumes it. */
export interface PreparedStep {
  readonly prev: ZkeyInfo;
  readonly curve: Curve;
  readonly sectionHashes: ReadonlyMap<number, string>;
  readonly scalars: ScalarSource;
  readonly sums: ReadonlyMap<number, Uint8Array>;
  readonly infinityAt: ReadonlyMap<number, ReadonlySet<number>>;
  readonly chunkPoints: number | undefined;
  used: boolean;
}

export interface StepOptions {
  /** The curve to run on; one is fetched when absent. */
  curve?: Curve;
  /** Points per multiplication chunk (PointSum); tests lower it so small circuits span several chunks. */
  chunkPoints?: number;
}

const hashedSections = [1, 3, 4, 5, 6, 7];
const pointSections = [8, 9];
const sectionNames: Record<number, string> = { 8: 'L', 9: 'H' };
// Section 2 ends with delta1 (G1) and delta2 (G2).
const deltaBytes = G1_BYTES + G2_BYTES;
// Same bound as readZkeyInfo: a contributions section over 1 MiB is hostile.
const maxContributionsSection = 1 << 20;

function invalid(message: string): CeremonyError {
  return new CeremonyError('INVALID_ZKEY', message);
}

/** Reads and checks zkey_prev, hashes its fixed sections and computes Σ rᵢ·L_prev[i], Σ rᵢ·H_prev[i]. */
export async function prepareStep(prevPath: string, options: StepOptions = {}): Promise<PreparedStep> {
  if (typeof prevPath !== 'string' || prevPath === '')
    throw new TypeError('prepareStep: prevPath must be a non-empty string');
  const prev = await readZkeyInfo(prevPath);
  const c = options.curve ?? (await getCurve());
  const { chunkPoints } = options;
  const scalars = makeScalarSource();
  const hashers = new Map<number, Hash>();
  const sums = new Map<number, PointSum>();
  let problem: string | undefined;
  for (const id of pointSections) {
    const onProblem = (message: string) => {
      problem ??= message;
    };
    sums.set(
      id,
      new PointSum({
        curve: c,
        section: id,
        scalars,
        infinityAt: new Set(),
        side: 'prev',
        onProblem,
        chunkPoints,
      }),
    );
  }
  const sink: SectionSink = {
    begin: (id) => {
      if (hashedSections.includes(id)) hashers.set(id, createHash('sha256'));
    },
    data: (id, bytes) => {
      hashers.get(id)?.update(bytes);
      sums.get(id)?.data(bytes);
    },
    end: (id) => sums.get(id)?.end(),
  };
  await streamFile(prevPath, new ZkeyStreamReader(sink, invalid), sums);
  const totals = new Map<number, Uint8Array>();
  for (const [id, sum] of sums) totals.set(id, await sum.total());
  if (problem) throw new CeremonyError('VERIFIER_ERROR', `the accepted zkey is damaged: ${problem}`);
  return {
    prev,
    curve: c,
    sectionHashes: new Map([...hashers].map(([id, h]) => [id, h.digest('hex')])),
    scalars,
    sums: totals,
    infinityAt: new Map([...sums].map(([id, sum]) => [id, sum.infinityFound])),
    chunkPoints,
    used: false,
  };
}

export interface StepCheck {
  /** Feeds the next bytes of zkey_new; resolves when it may be fed again (back-pressure). */
  push(chunk: Uint8Array): Promise<void>;
  /** After the last byte: the verdict. */
  finish(): Promise<StepVerdict>;
  /** The first refusal found so far, if any (the upload may be cut short). */
  readonly failure: { code: ErrorCode; message: string } | undefined;
}

/** Starts checking a zkey_new against a prepared zkey_prev; the preparation cannot be used again. */
export function startStepCheck(prepared: PreparedStep): StepCheck {
  if (!prepared || !(prepared.sums instanceof Map))
    throw new TypeError('startStepCheck: expected a PreparedStep from prepareStep');
  if (prepared.used)
    throw new TypeError('startStepCheck: this PreparedStep was already used; prepare a fresh one');
  prepared.used = true;
  return new IncomingZkey(prepared);
}

/** The file-based entry point: prepares zkey_prev, then streams zkey_new from disk through the same check. */
export async function verifyStep(
  prevPath: string,
  nextPath: string,
  options: StepOptions = {},
): Promise<StepVerdict> {
  const check = startStepCheck(await prepareStep(prevPath, options));
  for await (const chunk of createReadStream(nextPath, { highWaterMark: 1 << 20 })) {
    await check.push(chunk as Buffer);
    if (check.failure) break;
  }
  return check.finish();
}

async function streamFile(
  path: string,
  reader: ZkeyStreamReader,
  sums: Map<number, PointSum>,
): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    reader.push(chunk as Buffer);
    for (const sum of sums.values()) await sum.drain();
  }
  reader.finish();
}

class IncomingZkey implements StepCheck, SectionSink {
  failure: { code: ErrorCode; message: string } | undefined;
  private readonly reader = new ZkeyStreamReader(this, invalid);
  private readonly seen = new Map<number, { offset: number; size: number }>();
  private readonly hashers = new Map<number, Hash>();
  private readonly sums = new Map<number, PointSum>();
  private readonly kept = new Map<number, Uint8Array[]>();
  // Checked as soon as section 2 has arrived, while the rest of the file streams in.
  private deltaPair: Promise<{ ok: boolean; reason?: string }> | undefined;

  constructor(private readonly p: PreparedStep) {
    for (const id of pointSections) {
      const infinityAt = p.infinityAt.get(id) ?? new Set<number>();
      const onProblem = (message: string) => this.refuse('ZKEY_VERIFICATION_FAILED', message);
      const options = { curve: p.curve, section: id, scalars: p.scalars, infinityAt, side: 'next' as const };
      const chunkPoints = p.chunkPoints;
      this.sums.set(id, new PointSum({ ...options, onProblem, chunkPoints }));
    }
  }

  async push(chunk: Uint8Array): Promise<void> {
    if (this.failure) return;
    try {
      this.reader.push(chunk);
    } catch (err) {
      return this.refuseWith(err);
    }
    for (const sum of this.sums.values()) await sum.drain();
  }

  async finish(): Promise<StepVerdict> {
    if (!this.failure) {
      try {
        this.reader.finish();
        const missing = this.p.prev.sections.find((s) => !this.seen.has(s.id));
        if (missing) throw invalid(`section ${missing.id} is missing`);
      } catch (err) {
        this.refuseWith(err);
      }
    }
    const refused = this.failure;
    if (refused) {
      for (const sum of this.sums.values()) await sum.abandon();
      return { ok: false, ...refused };
    }
    const totals = new Map<number, Uint8Array>();
    for (const [id, sum] of this.sums) totals.set(id, await sum.total());
    if (this.failure) return { ok: false, ...this.failure };
    let next: ZkeyInfo;
    try {
      next = this.assembleInfo();
    } catch (err) {
      if (err instanceof CeremonyError) return { ok: false, code: err.code, message: err.message };
      throw err;
    }
    const chain = checkContributionChain(this.p.prev, next);
    if (!chain.ok) return chain;
    const engine = wasmPokEngine(this.p.curve);
    const pok = await verifyLastContributionProof(engine, next, this.p.prev.delta1);
    if (!pok.ok) return refusal(`contribution #${pok.index + 1}: ${pok.reason}`);
    const pair = await (this.deltaPair ?? verifyDeltaPair(engine, next.delta1, next.delta2));
    if (!pair.ok) return refusal(pair.reason ?? 'delta is invalid');
    const same = await Promise.all(
      pointSections.map((id) =>
        pairingsEqual(this.p.curve, totals.get(id)!, next.delta2, this.p.sums.get(id)!, this.p.prev.delta2),
      ),
    );
    for (const [i, id] of pointSections.entries()) {
      if (!same[i]) {
        return refusal(
          `section ${id} (${sectionNames[id]}) is not the previous one divided by the new secret`,
        );
      }
    }
    return chain;
  }

  begin(id: number, size: number, offset: number): void {
    const expected = this.p.prev.sections.find((s) => s.id === id);
    if (!expected) throw invalid(`unexpected section ${id}`);
    if (this.seen.has(id)) throw invalid(`section ${id} appears twice`);
    if (id === 10) {
      if (size < expected.size || size > maxContributionsSection)
        throw invalid(`contributions section has ${size} bytes`);
    } else if (size !== expected.size) {
      throw new CeremonyError(
        'ZKEY_WRONG_CIRCUIT',
        `zkey is for another circuit: section ${id} has ${size} bytes, expected ${expected.size}`,
      );
    }
    this.seen.set(id, { offset, size });
    if (hashedSections.includes(id)) this.hashers.set(id, createHash('sha256'));
    if (id === 2 || id === 10) this.kept.set(id, []);
  }

  data(id: number, bytes: Uint8Array): void {
    this.hashers.get(id)?.update(bytes);
    this.sums.get(id)?.data(bytes);
    this.kept.get(id)?.push(bytes.slice());
  }

  end(id: number): void {
    this.sums.get(id)?.end();
    const hasher = this.hashers.get(id);
    if (hasher && hasher.digest('hex') !== this.p.sectionHashes.get(id)) {
      throw new CeremonyError('ZKEY_WRONG_CIRCUIT', `zkey is for another circuit: section ${id} differs`);
    }
    if (id === 2) {
      const header = joined(this.kept.get(2)!);
      const fixed = header.subarray(0, header.length - deltaBytes);
      if (!equalBytes(fixed, this.p.prev.headerWithoutDelta)) {
        throw new CeremonyError('ZKEY_WRONG_CIRCUIT', 'zkey is for another circuit: Groth16 header differs');
      }
      const delta = header.subarray(header.length - deltaBytes);
      const engine = wasmPokEngine(this.p.curve);
      const pair = verifyDeltaPair(engine, delta.slice(0, G1_BYTES), delta.slice(G1_BYTES));
      // finish() takes the outcome; an upload refused or cut before then must not leave a rejection unheard.
      pair.catch(() => {});
      this.deltaPair = pair;
    }
  }

  private assembleInfo(): ZkeyInfo {
    const header = joined(this.kept.get(2)!);
    const split = header.length - deltaBytes;
    const { circuitHash, contributions } = parseContributions(joined(this.kept.get(10)!), invalid);
    return {
      ...this.p.prev,
      fileSize: this.reader.bytesRead,
      sections: [...this.seen].map(([id, s]) => ({ id, ...s })),
      delta1: header.slice(split, split + G1_BYTES),
      delta2: header.slice(split + G1_BYTES),
      circuitHash,
      contributions,
    };
  }

  private refuse(code: ErrorCode, message: string): void {
    this.failure ??= { code, message };
  }

  private refuseWith(err: unknown): void {
    if (err instanceof CeremonyError) this.refuse(err.code, err.message);
    else throw err;
  }
}

function refusal(message: string): StepVerdict {
  return { ok: false, code: 'ZKEY_VERIFICATION_FAILED', message };
}

function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
