// The r1cs circom 2 writes for `a[i+1] <== a[i]*a[i] + x` (n constraints, public input x, output out = a[n]), so the
// bench can make circuits of any size without circom. The bytes equal circom's for n = 1,021 and 4,093
// (test/fixtures) and 65,533 (the bench's 2^16 input). Layout (iden3 r1cs v1): "r1cs", version, section count, then
// sections (id u32, size u64) in circom's order: constraints (2), header (1), wire-to-label map (3).
import { open } from 'node:fs/promises';
import { BN128_R } from '../snark/bn128-encoding.js';

const N8 = 32;
// One constraint: three linear combinations (term count u32), four terms in all (wire u32, coefficient 32 bytes).
const CONSTRAINT_BYTES = 3 * 4 + 4 * (4 + N8);
const HEADER_BYTES = 4 + N8 + 28;

/** 32 bytes little-endian; the prime itself is written unreduced in the header. */
function uint256LE(value: bigint): Uint8Array {
  const out = new Uint8Array(N8);
  let v = value;
  for (let i = 0; i < N8; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

const ONE = uint256LE(1n);
const MINUS_ONE = uint256LE(BN128_R - 1n);

/** Wires: 0 = one, 1 = out, 2 = x, 3 … n+1 = a[1] … a[n-1] (circom folds a[0] into x and a[n] into out). */
function writeConstraint(view: DataView, bytes: Uint8Array, at: number, i: number, n: number): void {
  const a = i + 2;
  const terms: [number, number, Uint8Array][] = [
    [1, a, MINUS_ONE],
    [1, a, ONE],
  ];
  // C = x − a[i+1]; the last one names `out` (wire 1) instead of a[n].
  const c: [number, Uint8Array][] = [
    [2, ONE],
    [i === n - 1 ? 1 : i + 3, MINUS_ONE],
  ];
  c.sort(([x], [y]) => compareWireBytes(x, y));
  let o = at;
  for (const [count, wire, coefficient] of terms) {
    view.setUint32(o, count, true);
    view.setUint32(o + 4, wire, true);
    bytes.set(coefficient, o + 8);
    o += 8 + N8;
  }
  view.setUint32(o, c.length, true);
  o += 4;
  for (const [wire, coefficient] of c) {
    view.setUint32(o, wire, true);
    bytes.set(coefficient, o + 4);
    o += 4 + N8;
  }
}

/** circom orders a combination's terms by the wire's little-endian bytes, compared as strings (256 before 2). */
function compareWireBytes(x: number, y: number): number {
  for (let shift = 0; shift < 32; shift += 8) {
    const d = ((x >>> shift) & 0xff) - ((y >>> shift) & 0xff);
    if (d !== 0) return d;
  }
  return 0;
}

function sectionHead(id: number, size: number): Uint8Array {
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setUint32(0, id, true);
  view.setBigUint64(4, BigInt(size), true);
  return head;
}

/** Writes the multiplication-chain r1cs of `constraints` constraints (at least 2) to `path`. */
export async function writeMulchainR1cs(path: string, constraints: number): Promise<void> {
  if (!Number.isSafeInteger(constraints) || constraints < 2 || constraints > 2 ** 28) {
    throw new RangeError(
      `writeMulchainR1cs: constraints must be an integer from 2 to 2^28, got ${constraints}`,
    );
  }
  const n = constraints;
  const wires = n + 2;
  const file = await open(path, 'wx');
  try {
    const preamble = new Uint8Array(12);
    preamble.set(new TextEncoder().encode('r1cs'));
    new DataView(preamble.buffer).setUint32(4, 1, true);
    new DataView(preamble.buffer).setUint32(8, 3, true);
    await file.write(preamble);

    await file.write(sectionHead(2, n * CONSTRAINT_BYTES));
    // 4,096 constraints (624 KiB) per write keeps memory flat at any size.
    const batch = 4096;
    for (let first = 0; first < n; first += batch) {
      const count = Math.min(batch, n - first);
      const bytes = new Uint8Array(count * CONSTRAINT_BYTES);
      const view = new DataView(bytes.buffer);
      for (let k = 0; k < count; k++) writeConstraint(view, bytes, k * CONSTRAINT_BYTES, first + k, n);
      await file.write(bytes);
    }

    const header = new Uint8Array(HEADER_BYTES);
    const hv = new DataView(header.buffer);
    hv.setUint32(0, N8, true);
    header.set(uint256LE(BN128_R), 4);
    hv.setUint32(36, wires, true);
    hv.setUint32(40, 1, true); // outputs
    hv.setUint32(44, 1, true); // public inputs
    hv.setUint32(48, 0, true); // private inputs
    hv.setBigUint64(52, BigInt(n + 4), true); // labels: one, out, x, a[0] … a[n]
    hv.setUint32(60, n, true);
    await file.write(sectionHead(1, HEADER_BYTES));
    await file.write(header);

    // Wire → label: wires 0–2 keep their label; a[k] is label k + 3 (label 3 is a[0], folded into x).
    const map = new Uint8Array(wires * 8);
    const mv = new DataView(map.buffer);
    for (let w = 0; w < wires; w++) mv.setBigUint64(w * 8, BigInt(w < 3 ? w : w + 1), true);
    await file.write(sectionHead(3, map.length));
    await file.write(map);
    await file.sync();
  } finally {
    await file.close();
  }
}
