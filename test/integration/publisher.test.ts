import { appendFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { call, loginAs } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/stalled-upload.js';

describe('the publisher of ceremony-transcripts/<id>/', () => {
  let server: TestServer;
  let token: string;
  let added = 0;
  const dir = () => join(server.config.transcriptsDir, 'pub');
  const transcriptPath = () => join(dir(), 'transcript.jsonl');

  /** Adds a participant: one more transcript entry and checkpoint. */
  const appendEntry = async () => {
    added += 1;
    const answer = await call(server.url, 'POST', '/v1/ceremonies/pub/participants', {
      token,
      json: { name: `operator-${added}`, publicKey: toHex(generateKeyPair().publicKey) },
    });
    expect(answer.status).toBe(201);
  };
  const servedLines = async () =>
    (await call<string>(server.url, 'GET', '/v1/ceremonies/pub/transcript')).body.trimEnd().split('\n');
  const publishedLines = async () => (await readFile(transcriptPath(), 'utf8')).trimEnd().split('\n');

  beforeAll(async () => {
    server = await startTestServer();
    token = await loginAs(server.url, server.coordinator);
    const created = await call(server.url, 'POST', '/v1/ceremonies', {
      token,
      json: { id: 'pub', title: 'Publisher test' },
    });
    expect(created.status).toBe(201);
    for (let i = 0; i < 5; i++) await appendEntry();
    await server.built.publisher.flush();
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('appends to transcript.jsonl and writes only the new checkpoints', async () => {
    const before = await stat(transcriptPath());
    const oldCheckpoint = await stat(join(dir(), 'checkpoints', '3'));
    await appendEntry();
    await server.built.publisher.flush();
    const after = await stat(transcriptPath());
    // The same file grew in place: earlier lines are never rewritten.
    expect(after.ino).toBe(before.ino);
    expect(after.size).toBeGreaterThan(before.size);
    expect((await stat(join(dir(), 'checkpoints', '3'))).mtimeMs).toBe(oldCheckpoint.mtimeMs);
    expect(await publishedLines()).toEqual(await servedLines());
    const checkpoints = (await readdir(join(dir(), 'checkpoints'))).map(Number).sort((a, b) => a - b);
    expect(checkpoints).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('repairs a torn line and a line the database never held after a crash', async () => {
    const truth = await servedLines();
    await server.stop();
    // A crash mid-append: a foreign line and half of another, with no newline at the end.
    await appendFile(transcriptPath(), `${truth[1]}\n{"v":1,"ceremony":"pub","seq":`);
    server = await server.restart();
    token = await loginAs(server.url, server.coordinator);
    await server.built.publisher.flush();
    expect(await publishedLines()).toEqual(truth);
    await appendEntry();
    await server.built.publisher.flush();
    const grown = await publishedLines();
    expect(grown).toHaveLength(truth.length + 1);
    expect(grown).toEqual(await servedLines());
  });

  it('retries a failed publish without waiting for the next change', async () => {
    await server.built.publisher.flush();
    // A directory where the file should be: appending fails until it is gone.
    await rm(transcriptPath());
    await mkdir(transcriptPath());
    await appendEntry();
    await server.built.publisher.flush();
    expect((await stat(transcriptPath())).isDirectory()).toBe(true);
    await rm(transcriptPath(), { recursive: true });
    // No new entry: only the publisher's own retry can bring the file back.
    await waitUntil(
      async () =>
        (await stat(transcriptPath()).catch(() => undefined))?.isFile() === true &&
        (await publishedLines()).length === (await servedLines()).length,
      10_000,
      'the retried publish',
    );
    expect(await publishedLines()).toEqual(await servedLines());
  });
});
