// Σ rᵢ·Pᵢ over one L or H section, fed bytes as they arrive. Points are gathered into fixed chunks; each chunk is
// checked (canonical, on the curve) and its multi-scalar multiplication runs on the curve's worker threads while the
// next chunk fills. MSM is linear, so the chunks' partial sums add up to the section's sum.
import { G1_BYTES } from '../bn128-encoding.js';
import { type Curve, findPointProblems, multiplyAndSum } from './curve.js';
import { SCALAR_BYTES, type ScalarSource } from './scalars.js';

/** Points per chunk (256 KiB of bases): small enough that the last chunk's multiplication ends soon after the last byte. */
export const CHUNK_POINTS = 4096;

const sectionNames: Record<number, string> = { 8: 'L', 9: 'H' };

export interface PointSumOptions {
  curve: Curve;
  section: number;
  scalars: ScalarSource;
  /**
   * Indices that were infinity in zkey_prev: they are left out of the random linear combination, so zkey_new must
   * hold the encoding of infinity (64 zero bytes) there, byte for byte (docs/VERIFIER.md).
   */
  infinityAt: ReadonlySet<number>;
  /** 'prev' records infinity points (a valid zkey may hold some); 'next' refuses new ones. */
  side: 'prev' | 'next';
  /** Called with the first problem found; the sum is then meaningless. */
  onProblem: (message: string) => void;
  /**
   * Points per chunk, CHUNK_POINTS unless given. Only tests lower it, so small circuits span several chunks; the
   * verdict does not depend on it (scalars are keyed by section and index, never by chunk).
   */
  chunkPoints?: number;
}

export class PointSum {
  private readonly chunkBytes: number;
  private chunk: Uint8Array;
  private filled = 0;
  private nextIndex = 0;
  private sum: Uint8Array;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly ready: { first: number; points: Uint8Array }[] = [];
  private failed = false;
  /** Infinity points found on the 'prev' side. */
  readonly infinityFound = new Set<number>();

  constructor(private readonly o: PointSumOptions) {
    const points = o.chunkPoints ?? CHUNK_POINTS;
    if (!Number.isSafeInteger(points) || points < 1 || points > CHUNK_POINTS) {
      throw new RangeError(
        `PointSum: chunkPoints must be an integer from 1 to ${CHUNK_POINTS}, got ${points}`,
      );
    }
    this.chunkBytes = points * G1_BYTES;
    this.chunk = new Uint8Array(this.chunkBytes);
    this.sum = o.curve.G1.zero;
  }

  /** Takes bytes of the section; whole chunks wait in `ready` until `drain` starts them. */
  data(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const take = Math.min(this.chunk.length - this.filled, bytes.length - at);
      this.chunk.set(bytes.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === this.chunk.length) this.seal();
    }
  }

  /** Starts the ready chunks, one multiplication in flight at a time (back-pressure for the caller). */
  async drain(): Promise<void> {
    for (let next = this.ready.shift(); next; next = this.ready.shift()) {
      await this.inFlight;
      this.inFlight = this.start(next.first, next.points);
    }
  }

  /** The section's last byte has arrived: its partial last chunk is ready too, so `drain` starts it before finish. */
  end(): void {
    if (this.filled > 0) this.seal();
  }

  /** The section's Σ rᵢ·Pᵢ (Jacobian) after the last byte. */
  async total(): Promise<Uint8Array> {
    if (this.filled > 0) this.seal();
    await this.drain();
    await this.inFlight;
    return this.sum;
  }

  /** Stops after a refusal: a cut-short section may end inside a point, so nothing more is multiplied. */
  async abandon(): Promise<void> {
    this.failed = true;
    this.ready.length = 0;
    await this.inFlight;
  }

  private seal(): void {
    if (this.filled % G1_BYTES !== 0) throw new RangeError('PointSum: section ends inside a point');
    const points = this.chunk.subarray(0, this.filled);
    this.ready.push({ first: this.nextIndex, points });
    this.nextIndex += this.filled / G1_BYTES;
    // The sealed chunk stays untouched until its multiplication has copied it to the workers.
    this.chunk = new Uint8Array(this.chunkBytes);
    this.filled = 0;
  }

  private async start(first: number, points: Uint8Array): Promise<void> {
    if (this.failed) return;
    const count = points.length / G1_BYTES;
    const scalars = this.o.scalars.scalarsFor(this.o.section, first, count);
    // Indices left out of the combination are checked byte for byte, whatever findPointProblems says of them.
    const exempt = this.o.side === 'next' ? this.o.infinityAt : this.infinityFound;
    for (const p of findPointProblems(this.o.curve, points)) {
      const index = first + p.index;
      if (this.o.side === 'prev' && p.problem === 'infinity') this.infinityFound.add(index);
      else if (!this.o.infinityAt.has(index)) return this.fail(`point ${index} is ${describe(p.problem)}`);
    }
    if (exempt.size === 0) return this.addPartial(points, scalars);
    for (let i = 0; i < count; i++) {
      if (!exempt.has(first + i)) continue;
      if (!isInfinityEncoding(points, i)) return this.fail(`point ${first + i} must stay at infinity`);
      scalars.fill(0, i * SCALAR_BYTES, (i + 1) * SCALAR_BYTES);
    }
    return this.addPartial(points, scalars);
  }

  private async addPartial(points: Uint8Array, scalars: Uint8Array): Promise<void> {
    const partial = await multiplyAndSum(this.o.curve, points, scalars);
    this.sum = this.o.curve.G1.add(this.sum, partial);
  }

  private fail(message: string): void {
    this.failed = true;
    const name = sectionNames[this.o.section];
    this.o.onProblem(`section ${this.o.section}${name ? ` (${name})` : ''}: ${message}`);
  }
}

/** snarkjs writes infinity as 64 zero bytes; any other bytes are a different point or no point at all. */
function isInfinityEncoding(points: Uint8Array, i: number): boolean {
  for (let at = i * G1_BYTES, end = at + G1_BYTES; at < end; at++) if (points[at] !== 0) return false;
  return true;
}

function describe(problem: 'infinity' | 'off-curve' | 'non-canonical'): string {
  if (problem === 'infinity') return 'the point at infinity';
  if (problem === 'off-curve') return 'not on the curve';
  return 'not canonical (a coordinate is not reduced modulo q)';
}
