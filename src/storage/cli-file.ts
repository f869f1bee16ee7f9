// The single-file CLI (dist/ceremony.mjs, `npm run build-cli`) that every coordinator serves at /cli/ceremony.mjs:
// read once at boot, served from memory, named by its SHA-256 in GET /v1/info.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const CLI_FILE_PATH = '/cli/ceremony.mjs';

export interface CliFile {
  body: Buffer;
  gzipped: Buffer;
  sha256: string;
}

/** dist/ceremony.mjs beside the compiled server, or the repository's when the server runs from src (tests). */
export function findCliFile(): string | undefined {
  const candidates = ['../ceremony.mjs', '../../dist/ceremony.mjs'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((path) => existsSync(path));
}

/** Undefined when the CLI is not built: the coordinator runs, and says so once. */
export async function loadCliFile(path = findCliFile()): Promise<CliFile | undefined> {
  if (path === undefined) return undefined;
  const body = await readFile(path);
  return {
    body,
    gzipped: gzipSync(body, { level: 9 }),
    sha256: createHash('sha256').update(body).digest('hex'),
  };
}
