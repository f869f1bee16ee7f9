// Ways to damage an honest zkey contribution, for the differential test of the step verifier against snarkjs. Each
// tampering has a name and edits a copy of the honest file's bytes; points are planted in file encoding
// (test/helpers/g1-file.ts). Container edits rebuild the section table.
import type { SnarkjsCurve } from 'snarkjs';
import { BN128_Q } from '../../src/snark/bn128-encoding.js';
import type { ZkeyInfo } from '../../src/snark/zkey-file.js';
import { addG1, negG1, randomG1 } from './g1-file.js';

export interface TamperContext {
  curve: SnarkjsCurve;
  /** The honest zkey_new and its layout. */
  honest: Uint8Array;
  info: ZkeyInfo;
  /** Another honest contribution on the same zkey_prev (another secret). */
  other: Uint8Array;
  otherInfo: ZkeyInfo;
  /** L indices that are infinity in every zkey of the ceremony. */
  infinityL: number[];
  chunkPoints: number;
  random: () => number;
}

export type Tampering = (c: TamperContext) => Uint8Array;

const G1 = 64;

function pick<T>(c: TamperContext, items: readonly T[]): T {
  return items[Math.floor(c.random() * items.length)]!;
}

function randomBytesFrom(c: TamperContext, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(c.random() * 256));
}

function section(info: ZkeyInfo, id: number): { offset: number; size: number } {
  const s = info.sections.find((x) => x.id === id);
  if (!s) throw new Error(`zkey has no section ${id}`);
  return s;
}

function count(c: TamperContext, id: number): number {
  return section(c.info, id).size / G1;
}

function at(c: TamperContext, id: number, index: number): number {
  return section(c.info, id).offset + index * G1;
}

/** A finite index of L (not one of the infinity ones) or any index of H. */
function finiteIndex(c: TamperContext, id: number): number {
  for (;;) {
    const i = Math.floor(c.random() * count(c, id));
    if (id !== 8 || !c.infinityL.includes(i)) return i;
  }
}

function point(bytes: Uint8Array, offset: number): Uint8Array {
  return bytes.slice(offset, offset + G1);
}

function scaled(curve: SnarkjsCurve, p: Uint8Array, k: Uint8Array): Uint8Array {
  const out = new Uint8Array(G1);
  curve.G1.toRprLEM(out, 0, curve.G1.toAffine(curve.G1.timesScalar(curve.G1.fromRprLEM(p, 0), k)));
  return out;
}

/** Adds q to the 32-byte little-endian coordinate at `offset`: the same number modulo q, encoded unreduced. */
function unreduce(bytes: Uint8Array, offset: number): void {
  let carry = 0n;
  let q = BN128_Q;
  for (let i = 0; i < 32; i++, q >>= 8n) {
    const sum = BigInt(bytes[offset + i]!) + (q & 0xffn) + carry;
    bytes[offset + i] = Number(sum & 0xffn);
    carry = sum >> 8n;
  }
}

/** The offset of the last contribution record in section 10. */
function lastRecord(info: ZkeyInfo): number {
  const s10 = section(info, 10);
  const before = info.contributions.slice(0, -1).reduce((n, r) => n + r.raw.length, 0);
  return s10.offset + 64 + 4 + before;
}

interface RawSection {
  id: number;
  body: Uint8Array;
}

function sectionsOf(bytes: Uint8Array, info: ZkeyInfo): RawSection[] {
  return [...info.sections]
    .sort((a, b) => a.offset - b.offset)
    .map((s) => ({ id: s.id, body: bytes.slice(s.offset, s.offset + s.size) }));
}

function container(sections: RawSection[], announced = sections.length): Uint8Array {
  const out = new Uint8Array(12 + sections.reduce((n, s) => n + 12 + s.body.length, 0));
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('zkey'));
  view.setUint32(4, 1, true);
  view.setUint32(8, announced, true);
  let o = 12;
  for (const s of sections) {
    view.setUint32(o, s.id, true);
    view.setBigUint64(o + 4, BigInt(s.body.length), true);
    out.set(s.body, o + 12);
    o += 12 + s.body.length;
  }
  return out;
}

// deltaAfter, g1_s, g1_sx, g2_spx, transcript: offset and length in a contribution record.
const recordFields: readonly (readonly [number, number])[] = [
  [0, 64],
  [64, 64],
  [128, 64],
  [192, 128],
  [320, 64],
];

/** Every tampering by name. */
export const tamperings: Record<string, Tampering> = {
  'random point in L or H': (c) => {
    const b = c.honest.slice();
    const id = pick(c, [8, 9]);
    b.set(
      randomG1(c.curve, () => randomBytesFrom(c, 31)),
      at(c, id, finiteIndex(c, id)),
    );
    return b;
  },
  'infinity where a finite point was': (c) => {
    const b = c.honest.slice();
    const id = pick(c, [8, 9]);
    const o = at(c, id, finiteIndex(c, id));
    b.fill(0, o, o + G1);
    return b;
  },
  'finite point where infinity was': (c) => {
    const b = c.honest.slice();
    const source = pick(c, [
      () => randomG1(c.curve, () => randomBytesFrom(c, 31)),
      () => point(b, at(c, 8, 0)),
    ]);
    b.set(source(), at(c, 8, pick(c, c.infinityL)));
    return b;
  },
  '±P on two points of one chunk': (c) => {
    const b = c.honest.slice();
    const id = pick(c, [8, 9]);
    const first = Math.floor(finiteIndex(c, id) / c.chunkPoints) * c.chunkPoints;
    const i = first;
    const j = Math.min(first + 1 + Math.floor(c.random() * (c.chunkPoints - 1)), count(c, id) - 1);
    return plusMinus(c, b, [id, i], [id, j]);
  },
  '±P across a chunk boundary (same place in the next chunk)': (c) => {
    const b = c.honest.slice();
    const id = pick(c, [8, 9]);
    const chunks = Math.floor((count(c, id) - 1) / c.chunkPoints);
    const i = Math.floor(c.random() * chunks) * c.chunkPoints + Math.floor(c.random() * c.chunkPoints);
    const j = i + c.chunkPoints;
    if (id === 8 && (c.infinityL.includes(i) || c.infinityL.includes(j)))
      return plusMinus(c, b, [id, 0], [id, c.chunkPoints]);
    return plusMinus(c, b, [id, i], [id, j]);
  },
  '±P across sections (L[i], H[i])': (c) => {
    const b = c.honest.slice();
    const i = finiteIndex(c, 8);
    return plusMinus(c, b, [8, i], [9, i]);
  },
  'a subset of points scaled by another secret': (c) => {
    const b = c.honest.slice();
    const id = pick(c, [8, 9]);
    const k = randomBytesFrom(c, 31);
    const size = 1 + Math.floor(c.random() * 8);
    for (let n = 0; n < size; n++) {
      const o = at(c, id, finiteIndex(c, id));
      b.set(scaled(c.curve, point(b, o), k), o);
    }
    return b;
  },
  'two points swapped within a section': (c) => {
    const b = c.honest.slice();
    const id = pick(c, [8, 9]);
    const i = finiteIndex(c, id);
    let j = finiteIndex(c, id);
    while (j === i) j = finiteIndex(c, id);
    return swap(b, at(c, id, i), at(c, id, j));
  },
  'two points swapped across L and H': (c) =>
    swap(c.honest.slice(), at(c, 8, finiteIndex(c, 8)), at(c, 9, finiteIndex(c, 9))),
  'non-canonical encoding of the same point': (c) => {
    const b = c.honest.slice();
    const id = pick(c, [3, 5, 6, 8, 9]);
    const n = section(c.info, id).size / G1;
    const o =
      id === 8 ? at(c, 8, finiteIndex(c, 8)) : section(c.info, id).offset + Math.floor(c.random() * n) * G1;
    unreduce(b, o + pick(c, [0, 32]));
    return b;
  },
  'non-canonical encoding in the new record or delta': (c) => {
    const b = c.honest.slice();
    const s2 = section(c.info, 2);
    const places = [
      lastRecord(c.info),
      lastRecord(c.info) + 64,
      lastRecord(c.info) + 128,
      s2.offset + s2.size - 192,
    ];
    unreduce(b, pick(c, places) + pick(c, [0, 32]));
    return b;
  },
  'sections reordered': (c) => {
    const sections = sectionsOf(c.honest, c.info);
    const i = Math.floor(c.random() * sections.length);
    const j = (i + 1 + Math.floor(c.random() * (sections.length - 1))) % sections.length;
    [sections[i], sections[j]] = [sections[j]!, sections[i]!];
    return container(sections);
  },
  'a section duplicated': (c) => {
    const sections = sectionsOf(c.honest, c.info);
    const s = pick(c, sections);
    sections.splice(Math.floor(c.random() * sections.length), 0, { id: s.id, body: s.body.slice() });
    return container(sections);
  },
  'a section truncated': (c) => {
    const sections = sectionsOf(c.honest, c.info);
    const s = pick(c, sections);
    const cut = 1 + Math.floor(c.random() * Math.min(s.body.length, 130));
    s.body = s.body.slice(0, s.body.length - cut);
    return container(sections);
  },
  'a section padded': (c) => {
    const sections = sectionsOf(c.honest, c.info);
    const s = pick(c, sections);
    s.body = Uint8Array.from([
      ...s.body,
      ...pick(c, [new Uint8Array(64), randomBytesFrom(c, 1 + Math.floor(c.random() * 64))]),
    ]);
    return container(sections);
  },
  'the file cut short': (c) => c.honest.slice(0, Math.floor(c.random() * c.honest.length)),
  'bytes after the last section': (c) =>
    Uint8Array.from([...c.honest, ...randomBytesFrom(c, 1 + Math.floor(c.random() * 100))]),
  'a section missing': (c) => {
    const sections = sectionsOf(c.honest, c.info);
    sections.splice(Math.floor(c.random() * sections.length), 1);
    return container(sections);
  },
  'header delta from another contribution': (c) => {
    const b = c.honest.slice();
    const s2 = section(c.info, 2);
    const parts = pick(c, [
      [0, 192],
      [0, 64],
      [64, 128],
    ] as const);
    const from = section(c.otherInfo, 2).offset + s2.size - 192;
    b.set(
      c.other.subarray(from + parts[0], from + parts[0] + parts[1]),
      s2.offset + s2.size - 192 + parts[0],
    );
    return b;
  },
  'record field from another contribution': (c) => {
    const b = c.honest.slice();
    const [offset, length] = pick(c, recordFields);
    const from = lastRecord(c.otherInfo) + offset;
    b.set(c.other.subarray(from, from + length), lastRecord(c.info) + offset);
    return b;
  },
  'header delta and the whole record from another contribution': (c) => {
    const b = c.honest.slice();
    const s2 = section(c.info, 2);
    b.set(
      c.other.subarray(
        section(c.otherInfo, 2).offset + s2.size - 192,
        section(c.otherInfo, 2).offset + s2.size,
      ),
      s2.offset + s2.size - 192,
    );
    const from = lastRecord(c.otherInfo);
    b.set(c.other.subarray(from, from + 384), lastRecord(c.info));
    return b;
  },
  'one random byte flipped': (c) => {
    const b = c.honest.slice();
    const o = Math.floor(c.random() * b.length);
    b[o] = b[o]! ^ (1 << Math.floor(c.random() * 8));
    return b;
  },
};

function plusMinus(
  c: TamperContext,
  b: Uint8Array,
  [s1, i]: [number, number],
  [s2, j]: [number, number],
): Uint8Array {
  const p = randomG1(c.curve, () => randomBytesFrom(c, 31));
  const oi = at(c, s1, i);
  const oj = at(c, s2, j);
  b.set(addG1(c.curve, point(b, oi), p), oi);
  b.set(addG1(c.curve, point(b, oj), negG1(c.curve, p)), oj);
  return b;
}

function swap(b: Uint8Array, x: number, y: number): Uint8Array {
  const first = point(b, x);
  b.copyWithin(x, y, y + G1);
  b.set(first, y);
  return b;
}
