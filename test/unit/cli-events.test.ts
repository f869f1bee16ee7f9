// The CLI's wait on the events stream: wakes on a `ceremony` event however the bytes are split, and falls back to
// polling (saying why, once) when the stream ends or is refused.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChangeWatch, watchChanges } from '../../src/cli/events.js';

let close: (() => Promise<void>) | undefined;
let watch: ChangeWatch | undefined;

afterEach(async () => {
  watch?.close();
  await close?.();
});

/** A server whose one events response the test writes by hand; `status` other than 200 refuses it. */
async function eventsServer(status = 200): Promise<{ url: string; response: Promise<ServerResponse> }> {
  let give: (res: ServerResponse) => void = () => undefined;
  const response = new Promise<ServerResponse>((resolve) => {
    give = resolve;
  });
  const server = createServer((_req, res) => {
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('retry: 2000\r\n\r\n');
    give(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, response };
}

describe('waiting on the events stream', () => {
  it('wakes on a ceremony event split across writes, and falls back once the stream ends', async () => {
    const { url, response } = await eventsServer();
    const reasons: string[] = [];
    watch = watchChanges({ url, pollIntervalMs: 50, onFallback: (r) => reasons.push(r) });
    const res = await response;
    const woken = watch.next();
    res.write(': keep-alive\n\nid: 3\nevent: cer');
    res.write('emony\ndata: {"id":"x"}\n\n');
    await woken;
    expect(watch.live).toBe(true);
    expect(reasons).toEqual([]);

    res.end();
    await watch.next();
    expect(watch.live).toBe(false);
    expect(reasons).toEqual(['the events stream ended']);
  });

  it('polls when the server refuses the stream, naming the answer', async () => {
    const { url } = await eventsServer(429);
    const reasons: string[] = [];
    watch = watchChanges({ url, pollIntervalMs: 50, onFallback: (r) => reasons.push(r) });
    while (reasons.length === 0) await watch.next();
    // Later polls do not repeat the note.
    await watch.next();
    expect(watch.live).toBe(false);
    expect(reasons).toEqual(['the events stream answered HTTP 429']);
  });
});
