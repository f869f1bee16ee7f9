// An r1cs with private wires that no constraint uses, as circom compiles them (with a warning): their L points are
// the point at infinity in every zkey of the ceremony. Made from any iden3 r1cs v1 by raising nWires and nLabels and
// appending one wire-to-label entry per new wire; constraints stay as they were. The fixture
// test/fixtures/mulchain-1021-unused-2.r1cs is `withUnusedWires(mulchain-1021.r1cs, 2)`.
import { readFile, writeFile } from 'node:fs/promises';

interface Section {
  id: number;
  body: Uint8Array;
}

function readSections(bytes: Uint8Array): Section[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== 'r1cs')
    throw new Error('withUnusedWires: not an r1cs');
  const sections: Section[] = [];
  let at = 12;
  for (let i = 0, count = view.getUint32(8, true); i < count; i++) {
    const id = view.getUint32(at, true);
    const size = Number(view.getBigUint64(at + 4, true));
    sections.push({ id, body: bytes.slice(at + 12, at + 12 + size) });
    at += 12 + size;
  }
  return sections;
}

/** The r1cs bytes of `source` with `extra` unused private wires appended after the last wire. */
export function withUnusedWires(source: Uint8Array, extra: number): Uint8Array {
  const sections = readSections(source);
  const header = sections.find((s) => s.id === 1);
  const labels = sections.find((s) => s.id === 3);
  if (!header || !labels) throw new Error('withUnusedWires: the r1cs has no header or label map');
  const hv = new DataView(header.body.buffer);
  const wires = hv.getUint32(36, true);
  const labelCount = hv.getBigUint64(52, true);
  hv.setUint32(36, wires + extra, true);
  hv.setBigUint64(52, labelCount + BigInt(extra), true);
  const map = new Uint8Array(labels.body.length + 8 * extra);
  map.set(labels.body);
  const mv = new DataView(map.buffer);
  for (let k = 0; k < extra; k++) mv.setBigUint64(labels.body.length + 8 * k, labelCount + BigInt(k), true);
  labels.body = map;
  const size = 12 + sections.reduce((n, s) => n + 12 + s.body.length, 0);
  const out = new Uint8Array(size);
  const ov = new DataView(out.buffer);
  out.set(source.subarray(0, 12));
  let at = 12;
  for (const s of sections) {
    ov.setUint32(at, s.id, true);
    ov.setBigUint64(at + 4, BigInt(s.body.length), true);
    out.set(s.body, at + 12);
    at += 12 + s.body.length;
  }
  return out;
}

/** Writes `withUnusedWires` of the r1cs at `sourcePath` to `outPath`. */
export async function writeWithUnusedWires(
  sourcePath: string,
  outPath: string,
  extra: number,
): Promise<void> {
  await writeFile(outPath, withUnusedWires(new Uint8Array(await readFile(sourcePath)), extra));
}
