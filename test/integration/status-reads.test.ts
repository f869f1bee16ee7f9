// The reads a crowd repeats, over real HTTP: the ceremony view and its events stream show a change in the first
// read or event after its commit (no stale snapshot), and /transcript sends exactly the published file's bytes, with
// an ETag that answers 304 until the log grows and byte ranges that answer 206.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCeremony, openCeremony } from '../../src/ceremony/ceremonies.js';
import { registerParticipant } from '../../src/ceremony/participants.js';
import { joinQueue } from '../../src/ceremony/queue.js';
import type { Participant } from '../../src/ceremony/types.js';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ID = 'reads';

/** Reads Server-Sent Events from a fetch body, one `data` object per event. */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return async function next(): Promise<{ waiting: number; currentParticipant: string | null }> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data === undefined) continue;
        const view = JSON.parse(data.slice(6)) as {
          circuits: { waiting: number; currentParticipant: string | null }[];
        };
        const circuit = view.circuits[0];
        if (!circuit) throw new Error('event without a circuit');
        return circuit;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('events stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

describe('status reads at scale', () => {
  let server: TestServer;
  const people: Participant[] = [];

  beforeAll(async () => {
    server = await startTestServer({ env: { RATE_LIMIT: 'off', LOG_SAMPLE_READS: '0' } });
    const s = server.built.services;
    await createCeremony(s, toHex(server.coordinator.publicKey), {
      id: ID,
      title: 'Reads',
      timeoutSeconds: 600,
    });
    // A ready circuit, as after its setup job: these reads never touch zkeys.
    await s.db.query(
      `INSERT INTO circuits (ceremony_id, name, position, status, r1cs_sha256, ptau_sha256, initial_zkey_sha256,
         latest_zkey_sha256) VALUES ($1, 'main', 0, 'ready', $2, $2, $2, $2)`,
      [ID, 'a'.repeat(64)],
    );
    for (let i = 0; i < 4; i++) {
      const publicKey = toHex(generateKeyPair().publicKey);
      people.push(await registerParticipant(s, ID, { name: `reader ${i}`, publicKey }));
    }
    await openCeremony(s, ID);
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('shows each committed change in the next view and the next event', async () => {
    const s = server.built.services;
    const view = async () => {
      const res = await fetch(`${server.url}/v1/ceremonies/${ID}`);
      return ((await res.json()) as { circuits: { waiting: number; currentParticipant: string | null }[] })
        .circuits[0];
    };
    const controller = new AbortController();
    const stream = await fetch(`${server.url}/v1/ceremonies/${ID}/events`, { signal: controller.signal });
    const next = eventReader(stream.body as ReadableStream<Uint8Array>);
    try {
      expect(await next()).toMatchObject({ waiting: 0, currentParticipant: null });
      expect(await view()).toMatchObject({ waiting: 0, currentParticipant: null });
      const [first, ...rest] = people as [Participant, ...Participant[]];
      await joinQueue(s, first);
      expect(await view()).toMatchObject({ waiting: 0, currentParticipant: first.participantId });
      expect(await next()).toMatchObject({ waiting: 0, currentParticipant: first.participantId });
      for (const [i, p] of rest.entries()) {
        await joinQueue(s, p);
        expect(await view()).toMatchObject({ waiting: i + 1, currentParticipant: first.participantId });
        // Coalesced bursts may skip a view, never show an older one: the event after this commit shows it.
        let event = await next();
        while (event.waiting < i + 1) event = await next();
        expect(event).toMatchObject({ waiting: i + 1, currentParticipant: first.participantId });
      }
    } finally {
      controller.abort();
    }
  });

  it('sends exactly the published transcript, 304 for its ETag, 206 for a range', async () => {
    const s = server.built.services;
    // Publishing follows commits asynchronously: let it catch up, so the route sends the file and not the database.
    await server.built.publisher.flush();
    const url = `${server.url}/v1/ceremonies/${ID}/transcript`;
    const full = await fetch(url);
    expect(full.status).toBe(200);
    const body = Buffer.from(await full.arrayBuffer());
    const published = await readFile(join(server.config.transcriptsDir, ID, 'transcript.jsonl'));
    expect(body.equals(published)).toBe(true);
    const lines = await s.db.query<{ line: string }>(
      'SELECT line FROM transcript_entries WHERE ceremony_id = $1 ORDER BY seq',
      [ID],
    );
    expect(body.toString()).toBe(lines.map((l) => `${l.line}\n`).join(''));
    expect(full.headers.get('x-tree-size')).toBe(String(lines.length));
    const etag = full.headers.get('etag');
    expect(etag).toMatch(/^"\d+-[0-9a-f]{64}"$/);

    const again = await fetch(url, { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);

    const range = await fetch(url, { headers: { range: 'bytes=10-99' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 10-99/${body.length}`);
    expect(Buffer.from(await range.arrayBuffer()).equals(body.subarray(10, 100))).toBe(true);
    const tail = await fetch(url, { headers: { range: 'bytes=-50' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(body.subarray(body.length - 50))).toBe(true);
    const beyond = await fetch(url, { headers: { range: `bytes=${body.length}-` } });
    expect(beyond.status).toBe(416);

    // A new entry: the very next read has it, and the old tag no longer matches.
    await registerParticipant(s, ID, { name: 'late reader', publicKey: toHex(generateKeyPair().publicKey) });
    const grown = await fetch(url, { headers: { 'if-none-match': etag ?? '' } });
    expect(grown.status).toBe(200);
    const grownBody = Buffer.from(await grown.arrayBuffer());
    expect(grownBody.subarray(0, body.length).equals(body)).toBe(true);
    expect(grownBody.toString().trimEnd().split('\n')).toHaveLength(lines.length + 1);
    expect(grown.headers.get('etag')).not.toBe(etag);
  });
});
