// The iden3 binary container shared by zkey, r1cs and ptau files: 4-byte magic, u32 version, u32 section
// count, then per section (u32 id, u64 size, bytes). Read by random access so big sections never load.
import type { CeremonyError } from '../errors.js';

/** What the readers need of a file: a Node FileHandle, or bytes in memory (the browser's audit, bytesSource). */
export interface ByteSource {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
}

/** A ByteSource over bytes already in memory. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    read: async (buffer, offset, length, position) => {
      const chunk = bytes.subarray(position, position + length);
      buffer.set(chunk, offset);
      return { bytesRead: chunk.length };
    },
    stat: async () => ({ size: bytes.length }),
  };
}

export interface BinSection {
  id: number;
  /** Position of the section's first data byte in the file. */
  offset: number;
  size: number;
}

export interface BinFileLayout {
  version: number;
  fileSize: number;
  sections: BinSection[];
}

/** Builds the error to throw (INVALID_ZKEY, INVALID_R1CS, ...) from a message. */
export type FailWith = (message: string) => CeremonyError;

// No real zkey, r1cs or ptau has more than 16 sections; a huge count means garbage.
const maxSections = 64;

/** Reads exactly `length` bytes at `position`, or fails with a "truncated" message. */
export async function readExact(
  handle: ByteSource,
  position: number,
  length: number,
  fail: FailWith,
  what: string,
): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw fail(`${what} is truncated (${done} of ${length} bytes)`);
    done += bytesRead;
  }
  return buffer;
}

/**
 * Reads the magic, version and section table. The sections must tile the file exactly: a section running past
 * the end means a truncated upload, bytes after the last section mean something else was appended.
 */
export async function readBinLayout(
  handle: ByteSource,
  magic: string,
  fail: FailWith,
): Promise<BinFileLayout> {
  const fileSize = (await handle.stat()).size;
  if (fileSize < 12) throw fail(`not a ${magic} file: only ${fileSize} bytes`);
  const head = await readExact(handle, 0, 12, fail, 'file header');
  const view = new DataView(head.buffer);
  const found = String.fromCharCode(...head.subarray(0, 4));
  if (found !== magic) throw fail(`not a ${magic} file (magic "${printable(found)}")`);
  const version = view.getUint32(4, true);
  const count = view.getUint32(8, true);
  if (count > maxSections) throw fail(`${magic} file declares ${count} sections`);
  const sections: BinSection[] = [];
  let position = 12;
  for (let i = 0; i < count; i++) {
    if (position + 12 > fileSize) throw fail(`${magic} file is truncated in section table entry ${i}`);
    const entry = new DataView((await readExact(handle, position, 12, fail, 'section header')).buffer);
    const id = entry.getUint32(0, true);
    const size = Number(entry.getBigUint64(4, true));
    const offset = position + 12;
    if (offset + size > fileSize) {
      throw fail(
        `${magic} section ${id} is truncated: needs ${size} bytes, file has ${fileSize - offset} left`,
      );
    }
    sections.push({ id, offset, size });
    position = offset + size;
  }
  if (position !== fileSize)
    throw fail(`${magic} file has ${fileSize - position} bytes after its last section`);
  return { version, fileSize, sections };
}

/** The one section with this id; missing or repeated sections fail. */
export function findUniqueSection(layout: BinFileLayout, id: number, fail: FailWith): BinSection {
  const matches = layout.sections.filter((s) => s.id === id);
  if (matches.length === 0) throw fail(`section ${id} is missing`);
  if (matches.length > 1) throw fail(`section ${id} appears ${matches.length} times`);
  return matches[0]!;
}

/** The section with this id when present exactly once, undefined when absent; repeated sections fail. */
export function findOptionalSection(
  layout: BinFileLayout,
  id: number,
  fail: FailWith,
): BinSection | undefined {
  return layout.sections.some((s) => s.id === id) ? findUniqueSection(layout, id, fail) : undefined;
}

/** Little-endian unsigned integer of `bytes` (field elements and primes in these files are LE). */
export function readUintLE(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
