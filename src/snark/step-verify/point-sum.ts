// Σ rᵢ·Pᵢ over one L or H section, fed bytes as they arrive. Points are gathered into fixed chunks; each chunk is
// checked (canonical, on the curve) and its multi-scalar multiplication runs on the curve's worker threads while the
// next chunk fills. MSM is linear, so the chunks' partial sums add up to the section's sum.
import { G1_BYTES } from '../bn128-encoding.js';
import { type Curve, findPointProblems, multiplyAndSum } from './curve.js';
import { SCALAR_BYTES, type ScalarSource } from './scalars.js';

/** Points per chunk (256 KiB of bases): small enough that the last chunk's multiplication ends soon after the last byte. */
export const CHUNK_POINTS = 4096;

export interface PointSumOptions {
  curve: Curve;
  section: number;
  scalars: ScalarSource;
  /** Indices that were infinity in zkey_prev: their scalar is 0 and zkey_new must keep them at infinity. */
  infinityAt: ReadonlySet<number>;
  /** 'prev' records infinity points (a valid zkey may hold some); 'next' refuses new ones. */
  side: 'prev' | 'next';
  /** Called with the first problem found; the sum is then meaningless. */
  onProblem: (message: string) => void;
}

export class PointSum {
  private chunk = new Uint8Array(CHUNK_POINTS * G1_BYTES);
  private filled = 0;
  private nextIndex = 0;
  private sum: Uint8Array;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly ready: { first: number; points: Uint8Array }[] = [];
  private failed = false;
  /** Infinity points found on the 'prev' side. */
  readonly infinityFound = new Set<number>();

  constructor(private readonly o: PointSumOptions) {
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

  /** The section's Σ rᵢ·Pᵢ (Jacobian) after the last byte. */
  async total(): Promise<Uint8Array> {
    if (this.filled > 0) this.seal();
    await this.drain();
    await this.inFlight;
    return this.sum;
  }

  private seal(): void {
    if (this.filled % G1_BYTES !== 0) throw new RangeError('PointSum: section ends inside a point');
    const points = this.chunk.subarray(0, this.filled);
    this.ready.push({ first: this.nextIndex, points });
    this.nextIndex += this.filled / G1_BYTES;
    // The sealed chunk stays untouched until its multiplication has copied it to the workers.
    this.chunk = new Uint8Array(CHUNK_POINTS * G1_BYTES);
    this.filled = 0;
  }

  private async start(first: number, points: Uint8Array): Promise<void> {
    if (this.failed) return;
    const count = points.length / G1_BYTES;
    const scalars = this.o.scalars.scalarsFor(this.o.section, first, count);
    for (const p of findPointProblems(this.o.curve, points)) {
      const index = first + p.index;
      if (this.o.infinityAt.has(index)) {
        if (p.problem !== 'infinity') return this.fail(`point ${index} must stay at infinity`);
      } else if (p.problem === 'infinity' && this.o.side === 'prev') {
        this.infinityFound.add(index);
      } else {
        return this.fail(`point ${index} is ${describe(p.problem)}`);
      }
    }
    for (const index of [...this.o.infinityAt, ...this.infinityFound]) {
      if (index >= first && index < first + count) {
        scalars.fill(0, (index - first) * SCALAR_BYTES, (index - first + 1) * SCALAR_BYTES);
      }
    }
    const partial = await multiplyAndSum(this.o.curve, points, scalars);
    this.sum = this.o.curve.G1.add(this.sum, partial);
  }

  private fail(message: string): void {
    this.failed = true;
    this.o.onProblem(`section ${this.o.section}: ${message}`);
  }
}

function describe(problem: 'infinity' | 'off-curve' | 'non-canonical'): string {
  if (problem === 'infinity') return 'the point at infinity';
  if (problem === 'off-curve') return 'not on the curve';
  return 'not canonical (a coordinate is not reduced modulo q)';
}
