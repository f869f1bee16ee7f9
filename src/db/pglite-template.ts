// The embedded database's prepared cluster: made once at build time, unpacked at a data dir's first start.
// Running initdb inside the coordinator loads a second engine and peaks near 0.9 GB; unpacking a template does not.
import { readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fsyncPath } from '../storage/atomic-write.js';
import { extractTarGz } from './tar-extract.js';

/** dist/ of this checkout or package, whether this module runs from dist/db or (under tsx) from src/db. */
const distDir = fileURLToPath(new URL('../../dist/', import.meta.url));
export const templateArchive = join(distDir, 'pglite-template.tar.gz');
const templateLabel = join(distDir, 'pglite-template.json');

/** The installed engine's version: a template made by another version is not used. */
export async function pgliteVersion(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const manifest = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  if (typeof manifest.version !== 'string') throw new Error('pgliteVersion: the engine names no version');
  return manifest.version;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** True when the template is there and was made by the installed engine. */
export async function templateIsCurrent(): Promise<boolean> {
  if (!(await exists(templateArchive)) || !(await exists(templateLabel))) return false;
  const label = JSON.parse(await readFile(templateLabel, 'utf8')) as { pglite?: unknown };
  return label.pglite === (await pgliteVersion());
}

/** Writes the template (a fresh cluster, nothing migrated: migrations run at every start as on PostgreSQL). */
export async function writeTemplate(): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create();
  try {
    const dump = await db.dumpDataDir('gzip');
    await writeFile(templateArchive, Buffer.from(await dump.arrayBuffer()));
    await writeFile(templateLabel, `${JSON.stringify({ pglite: await pgliteVersion() })}\n`);
  } finally {
    await db.close();
  }
}

/**
 * Unpacks the template into `dataDir` when it holds no cluster yet; false when there is no usable template (the
 * engine then runs initdb itself). The cluster appears whole or not at all: it is unpacked beside, then renamed.
 */
export async function seedFromTemplate(dataDir: string): Promise<boolean> {
  if (await exists(join(dataDir, 'PG_VERSION'))) return true;
  if (!(await templateIsCurrent())) return false;
  const left = await readdir(dataDir).catch(() => []);
  if (left.length > 0)
    throw new Error(
      `seedFromTemplate: ${dataDir} holds files but no database cluster (no PG_VERSION); move them away`,
    );
  const partial = `${dataDir}.seeding`;
  await rm(partial, { recursive: true, force: true });
  await extractTarGz(await readFile(templateArchive), partial);
  // An empty folder (made by an operator or an earlier start) is replaced.
  await rmdir(dataDir).catch(() => undefined);
  await rename(partial, dataDir);
  await fsyncPath(dirname(dataDir));
  return true;
}
