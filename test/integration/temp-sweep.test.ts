// The scheduler's periodic sweep of data-dir/tmp: a `.part` file untouched for 15 minutes and owned by no upload goes;
// a fresh one, an old file of another kind and the temp file of an upload still streaming stay.
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openStalledUpload, type StalledUpload, waitUntil } from '../helpers/stalled-upload.js';

const SIXTEEN_MINUTES_AGO = () => new Date(Date.now() - 16 * 60_000);

describe('the periodic sweep of stale temp files', () => {
  let server: TestServer;
  let stalled: StalledUpload | undefined;

  beforeAll(async () => {
    server = await startTestServer({ env: { SCHEDULER_INTERVAL_MS: '100', SWEEP_INTERVAL_SECONDS: '1' } });
  });
  afterAll(async () => {
    stalled?.destroy();
    await server?.destroy();
  });

  it('removes an old .part file and keeps a fresh one, another kind of file and an upload in flight', async () => {
    const tmp = join(server.dataDir, 'tmp');
    // A blob upload that stalls: its temp file is in flight, however old it looks.
    stalled = openStalledUpload(
      server.url,
      '/v1/blobs',
      { authorization: `Bearer ${await loginAs(server.url, server.coordinator)}` },
      1024 ** 2,
      1024,
    );
    let streaming: string | undefined;
    await waitUntil(
      async () => {
        streaming = (await readdir(tmp)).find((f) => f.endsWith('.part'));
        return streaming !== undefined;
      },
      10_000,
      'the stalled blob upload streaming into tmp/',
    );
    const old = join(tmp, 'left-by-a-dead-process.part');
    const fresh = join(tmp, 'just-started.part');
    const other = join(tmp, 'not-a-part-file');
    for (const path of [old, fresh, other]) await writeFile(path, 'bytes');
    for (const path of [old, other, join(tmp, streaming ?? '')])
      await utimes(path, SIXTEEN_MINUTES_AGO(), SIXTEEN_MINUTES_AGO());

    await waitUntil(
      async () => !(await readdir(tmp)).includes('left-by-a-dead-process.part'),
      10_000,
      'the stale .part file swept',
    );
    expect((await readdir(tmp)).sort()).toEqual([streaming, 'just-started.part', 'not-a-part-file'].sort());
  });
});
