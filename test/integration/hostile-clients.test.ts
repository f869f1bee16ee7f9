import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { call, loginAs } from '../helpers/api.js';
import { mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openStalledUpload, waitUntil } from '../helpers/stalled-upload.js';

const attestation = '00'.repeat(64);

describe('uploads a hostile turn holder cannot abuse', () => {
  let server: TestServer;
  let ceremony: TestCeremony;
  let token: string;
  let zkeySize: number;

  const tempFiles = async () => readdir(join(server.dataDir, 'tmp'));
  // A contribution upload streams into its turn's partial file, kept after a cut for a resume.
  const partials = async () => readdir(join(server.dataDir, 'partial')).catch(() => [] as string[]);
  const contributionPath = (id: string) => `/v1/ceremonies/${id}/circuits/mulchain/contribution`;
  /** Takes the turn on the ceremony's one circuit; resolves with its deadline (ms since the epoch; NaN: none). */
  const holdTurn = async (id: string): Promise<number> => {
    const joined = await call<{ circuits: { state: string; deadline: string | null }[] }>(
      server.url,
      'POST',
      `/v1/ceremonies/${id}/queue`,
      {
        token,
      },
    );
    expect(joined.body.circuits[0]?.state).toBe('active');
    return Date.parse(joined.body.circuits[0]?.deadline ?? '');
  };

  beforeAll(async () => {
    // Budgets off: these cases test the upload bounds, which must hold without them.
    server = await startTestServer({ env: { UPLOAD_IDLE_SECONDS: '1', RATE_LIMIT: 'off' } });
    ceremony = await setupCeremony(server, { id: 'stall', circuits: [mulchain], participants: 1 });
    const alice = ceremony.participants[0];
    if (!alice) throw new Error('no participant');
    token = await loginAs(server.url, alice.keys);
    const head = await fetch(`${server.url}/v1/ceremonies/stall/circuits/mulchain/zkeys/latest`, {
      method: 'HEAD',
    });
    zkeySize = Number(head.headers.get('content-length'));
    await holdTurn('stall');
    // Circuit setup runs snarkjs: on a busy machine it can take minutes.
  }, 300_000);

  afterAll(async () => {
    await server?.destroy();
  });

  it('serves latest for revalidation and only index-named zkeys as immutable', async () => {
    const latest = await fetch(`${server.url}/v1/ceremonies/stall/circuits/mulchain/zkeys/latest`);
    await latest.arrayBuffer();
    expect(latest.headers.get('cache-control')).toBe('no-cache');
    const etag = latest.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const again = await fetch(`${server.url}/v1/ceremonies/stall/circuits/mulchain/zkeys/latest`, {
      headers: { 'if-none-match': `W/"0000", ${etag}` },
    });
    expect(again.status).toBe(304);
    const first = await fetch(`${server.url}/v1/ceremonies/stall/circuits/mulchain/zkeys/0`, {
      method: 'HEAD',
    });
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const r1cs = await fetch(`${server.url}/v1/ceremonies/stall/circuits/mulchain/r1cs`, { method: 'HEAD' });
    expect(r1cs.headers.get('cache-control')).toBe('no-cache');
  });

  it('refuses names, titles and statements with control characters or bidi overrides, changing nothing', async () => {
    const coordinatorToken = await loginAs(server.url, server.coordinator);
    const size = async () =>
      (await call<string>(server.url, 'GET', '/v1/ceremonies/stall/transcript')).body.trimEnd().split('\n')
        .length;
    const before = await size();
    const spoofed = await call<{ error: { code: string; message: string } }>(
      server.url,
      'POST',
      '/v1/ceremonies/stall/participants',
      {
        token: coordinatorToken,
        json: {
          name: 'alice\u202Eecila',
          publicKey: Buffer.from(generateKeyPair().publicKey).toString('hex'),
        },
      },
    );
    expect(spoofed.status).toBe(400);
    expect(spoofed.body.error.message).toContain('U+202E');
    const title = await call<{ error: { code: string } }>(server.url, 'POST', '/v1/ceremonies', {
      token: coordinatorToken,
      json: { id: 'bell', title: 'ring\u0007ring' },
    });
    expect(title.status).toBe(400);
    expect((await call(server.url, 'GET', '/v1/ceremonies/bell')).status).toBe(404);
    const statement = await call<{ error: { code: string; message: string } }>(
      server.url,
      'PUT',
      contributionPath('stall'),
      {
        token,
        body: Buffer.alloc(16),
        headers: {
          'content-type': 'application/octet-stream',
          'x-ceremony-attestation': attestation,
          'x-ceremony-statement': Buffer.from('I destroyed it\u2066 not').toString('base64'),
        },
      },
    );
    expect(statement.status).toBe(400);
    expect(statement.body.error.message).toContain('U+2066');
    // Invalid UTF-8 is refused, not stored as U+FFFD.
    const garbled = await call<{ error: { code: string; message: string } }>(
      server.url,
      'PUT',
      contributionPath('stall'),
      {
        token,
        body: Buffer.alloc(16),
        headers: {
          'content-type': 'application/octet-stream',
          'x-ceremony-attestation': attestation,
          'x-ceremony-statement': Buffer.from([0x49, 0x20, 0xff, 0xfe, 0x21]).toString('base64'),
        },
      },
    );
    expect(`${garbled.status} ${garbled.body.error.message}`).toBe(
      '400 x-ceremony-statement must be base64 of UTF-8 text',
    );
    const beacon = await call<{ error: { code: string; message: string } }>(
      server.url,
      'POST',
      '/v1/ceremonies/stall/finalize',
      {
        token: coordinatorToken,
        json: { beaconHex: 'ab', beaconSource: 'drand round 1\u202E9999', iterationsExp: 10 },
      },
    );
    expect(beacon.status).toBe(400);
    expect(beacon.body.error.message).toContain('U+202E');
    expect(await size()).toBe(before);
  });

  it('lets one of 50 stalled uploads run, answers the others 409 at once, and cuts the stalled one', async () => {
    const headers = { authorization: `Bearer ${token}`, 'x-ceremony-attestation': attestation };
    const open = () =>
      openStalledUpload(server.url, contributionPath('stall'), headers, zkeySize, zkeySize - 4096);
    const first = open();
    await waitUntil(async () => (await partials()).length === 1, 10_000, 'the first upload to stream');
    // It keeps sending a byte now and then while 49 more arrive and stall, so only the slot can refuse them.
    const keepAlive = setInterval(() => first.trickle(1), 200);
    const rest = Array.from({ length: 49 }, open);
    const refused = await Promise.all(rest.map((u) => u.answered)).finally(() => clearInterval(keepAlive));
    expect(refused.map((a) => `${a.status} ${a.code}`)).toEqual(Array(49).fill('409 UPLOAD_IN_PROGRESS'));
    // Every refused connection is closed by the server; none waits for its client to hang up.
    await Promise.all(rest.map((u) => u.closed));
    expect(await partials()).toHaveLength(1);
    expect(await tempFiles()).toHaveLength(0);

    // Now the first stalls too: cut at its idle timeout; what arrived is kept for a resume in this turn only.
    const cut = await first.answered;
    expect(`${cut.status} ${cut.code} ${cut.message}`).toMatch(
      /^408 UPLOAD_TIMEOUT no data arrived for \d+ s/,
    );
    await first.closed;
    expect(await partials()).toHaveLength(1);

    // The slot is free again: the next upload is heard (and refused for its content, not as a duplicate).
    const next = await call<{ error: { code: string } }>(server.url, 'PUT', contributionPath('stall'), {
      token,
      body: Buffer.alloc(zkeySize, 1),
      headers: { 'content-type': 'application/octet-stream', 'x-ceremony-attestation': attestation },
    });
    expect(next.status).toBe(422);
    expect(next.body.error.code).toBe('INVALID_ZKEY');
  });

  it('cuts an upload that keeps trickling past the end of the turn', async () => {
    const short = await setupCeremony(server, {
      id: 'deadline',
      circuits: [mulchain],
      participants: 0,
      timeoutSeconds: 2,
    });
    const alice = ceremony.participants[0];
    if (!alice) throw new Error('no participant');
    await call(server.url, 'POST', `/v1/ceremonies/${short.id}/participants`, {
      token: await loginAs(server.url, server.coordinator),
      json: { name: 'alice', publicKey: Buffer.from(alice.keys.publicKey).toString('hex') },
    });
    const deadline = await holdTurn(short.id);
    expect(deadline, 'the turn has a deadline').not.toBeNaN();
    const upload = openStalledUpload(
      server.url,
      contributionPath(short.id),
      { authorization: `Bearer ${token}`, 'x-ceremony-attestation': attestation },
      zkeySize,
      1024,
    );
    // A byte every 100 ms, against the 1 s idle timer, until 300 ms before the deadline: the idle timer could bite
    // 700 ms after the deadline at the earliest. The sender then falls silent, so when the server answers and
    // closes, no byte of ours is in flight to reset the connection before the answer is read.
    const trickle = setInterval(() => {
      if (Date.now() < deadline - 300) upload.trickle(1);
    }, 100);
    try {
      const answer = await upload.answered;
      const answeredAt = Date.now();
      expect(`${answer.status} ${answer.code} ${answer.message}`).toBe(
        '408 UPLOAD_TIMEOUT the upload did not finish before its deadline',
      );
      // 20 ms for the two clocks read (the server's timer, this Date.now()); the idle timer is 700 ms away.
      expect(answeredAt, 'answered before the turn deadline').toBeGreaterThanOrEqual(deadline - 20);
      await upload.closed;
    } finally {
      clearInterval(trickle);
    }
    await waitUntil(async () => (await tempFiles()).length === 0, 5000, 'the temp file to be removed');
  });

  it('sweeps temp files a crashed run left behind when it starts', async () => {
    const leftover = join(server.dataDir, 'tmp', '1700000000000-deadbeefdeadbeef.part');
    const jobLeftover = join(server.dataDir, 'tmp', '1700000000000-feedfacefeedface.zkey');
    await writeFile(leftover, Buffer.alloc(1024));
    await writeFile(jobLeftover, Buffer.alloc(1024));
    server = await server.restart();
    // A process in role `all` owns its data dir (on either database): every temp file there is a dead run's.
    expect(await tempFiles()).toEqual([]);
  });
});

describe('the free-space reserve', () => {
  let server: TestServer;

  beforeAll(async () => {
    // A reserve larger than any disk: every write must be refused before it starts.
    server = await startTestServer({ env: { DISK_RESERVE_BYTES: String(2 ** 50) } });
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('refuses a blob put with 507 before a byte is written', async () => {
    const token = await loginAs(server.url, server.coordinator);
    const answer = await call<{ error: { code: string; message: string } }>(server.url, 'PUT', '/v1/blobs', {
      token,
      body: Buffer.alloc(4096, 3),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(answer.status).toBe(507);
    expect(answer.body.error.code).toBe('INSUFFICIENT_STORAGE');
    expect(answer.body.error.message).toMatch(/disk space/);
    expect(await readdir(join(server.dataDir, 'tmp'))).toEqual([]);
    expect(await readdir(join(server.dataDir, 'blobs'))).toEqual([]);
  });
});
