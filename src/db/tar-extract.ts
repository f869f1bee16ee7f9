// Unpacks a gzipped ustar archive of plain files and folders (the embedded database's template) into a folder.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(header: Buffer, start: number, length: number, what: string): number {
  const text = field(header, start, length).trim();
  const n = text === '' ? 0 : Number.parseInt(text, 8);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`extractTarGz: bad ${what} '${text}' in a header`);
  return n;
}

/** Writes every file and folder of `archive` under `dir`; refuses links, device files and names leaving `dir`. */
export async function extractTarGz(archive: Buffer, dir: string): Promise<number> {
  const tar = gunzipSync(archive);
  let files = 0;
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const prefix = field(header, 257, 6).startsWith('ustar') ? field(header, 345, 155) : '';
    const name = prefix === '' ? field(header, 0, 100) : `${prefix}/${field(header, 0, 100)}`;
    const mode = octal(header, 100, 8, 'mode') & 0o700;
    const size = octal(header, 124, 12, 'size');
    const type = String.fromCharCode(header[156] ?? 0);
    const relative = normalize(name.replace(/^\/+/, ''));
    if (relative === '..' || relative.startsWith(`..${sep}`))
      throw new Error(`extractTarGz: '${name}' would land outside the folder`);
    const target = join(dir, relative);
    const body = at + BLOCK;
    if (type === '5') await mkdir(target, { recursive: true, mode: mode | 0o700 });
    else if (type === '0' || type === '\0') {
      if (body + size > tar.length) throw new Error(`extractTarGz: '${name}' is cut short`);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      // Flushed one by one: the folder is renamed into place as a whole, and must not hold empty files after a crash.
      await writeFile(target, tar.subarray(body, body + size), { mode: mode || 0o600, flush: true });
      files++;
    } else
      throw new Error(
        `extractTarGz: '${name}' has entry type '${type}', only files and folders are expected`,
      );
    at = body + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
