// The embedded database's first start unpacks the prepared cluster instead of running initdb: the cluster works and
// keeps its rows across a restart, a start cut off while unpacking is redone, a folder holding other files is refused,
// and the unpacker writes nothing outside its folder.
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/db/pglite.js';
import { seedFromTemplate, templateIsCurrent, writeTemplate } from '../../src/db/pglite-template.js';
import { extractTarGz } from '../../src/db/tar-extract.js';

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** One ustar header and body, as `tar` writes them. */
function tarEntry(name: string, body: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 'utf8');
  header.write('0000600\0', 100);
  header.write(`${Buffer.byteLength(body).toString(8).padStart(11, '0')}\0`, 124);
  header.write('0', 156);
  header.write('ustar\0', 257);
  const padded = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
  padded.write(body);
  return Buffer.concat([header, padded]);
}

describe('embedded database template', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pglite-template-'));
    // `npm run build` makes it; a checkout tested before its first build makes it here the same way.
    if (!(await templateIsCurrent())) await writeTemplate();
  }, 180_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a fresh data dir gets a working cluster that keeps its rows across a restart', async () => {
    const pgdata = join(dir, 'fresh', 'pgdata');
    const first = await openPglite(pgdata);
    await first.exec('CREATE TABLE kept (n integer); INSERT INTO kept VALUES (7);');
    await first.close();
    expect(await exists(join(pgdata, 'PG_VERSION'))).toBe(true);
    const again = await openPglite(pgdata);
    expect(await again.query<{ n: number }>('SELECT n FROM kept')).toEqual([{ n: 7 }]);
    expect(await again.query<{ shared_buffers: string }>('SHOW shared_buffers')).toEqual([
      { shared_buffers: '8MB' },
    ]);
    await again.close();
  }, 180_000);

  it('a start cut off while unpacking is redone whole', async () => {
    const pgdata = join(dir, 'cut', 'pgdata');
    await mkdir(`${pgdata}.seeding/base`, { recursive: true });
    await writeFile(`${pgdata}.seeding/PG_VERSION`, '');
    await mkdir(pgdata, { recursive: true });
    expect(await seedFromTemplate(pgdata)).toBe(true);
    expect(await exists(`${pgdata}.seeding`)).toBe(false);
    const db = await openPglite(pgdata);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.close();
  }, 180_000);

  it('a data dir holding other files but no cluster is refused and left as it was', async () => {
    const pgdata = join(dir, 'foreign', 'pgdata');
    await mkdir(pgdata, { recursive: true });
    await writeFile(join(pgdata, 'notes.txt'), 'mine');
    await expect(seedFromTemplate(pgdata)).rejects.toThrow(/holds files but no database cluster/);
    expect(await readdir(pgdata)).toEqual(['notes.txt']);
  });

  it('the unpacker refuses a name that climbs out of its folder and writes nothing there', async () => {
    const target = join(dir, 'climb', 'inside');
    const archive = gzipSync(Buffer.concat([tarEntry('../outside.txt', 'x'), Buffer.alloc(1024)]));
    await expect(extractTarGz(archive, target)).rejects.toThrow(/outside the folder/);
    expect(await exists(join(dir, 'climb', 'outside.txt'))).toBe(false);
    await extractTarGz(gzipSync(Buffer.concat([tarEntry('/a/b.txt', 'hello'), Buffer.alloc(1024)])), target);
    expect(await readdir(join(target, 'a'))).toEqual(['b.txt']);
  });
});
