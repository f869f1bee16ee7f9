// Connections that send slowly: headers and non-upload bodies each have a bound, and HEAD of a stream answers.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, loginAs } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Sends `head` at once, then `body` one byte every `everyMs` until the server closes; what came back. */
function trickle(
  url: string,
  head: string,
  body: string,
  everyMs: number,
): Promise<{ answer: string; sent: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname);
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, sent });
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent >= body.length) return reject(new Error('the whole body went through: nothing cut it'));
        socket.write(body[sent] ?? '');
        sent += 1;
      }, everyMs);
    });
  });
}

describe('slow clients', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      env: { REQUEST_BODY_SECONDS: '2', HEADERS_TIMEOUT_SECONDS: '2', EVENTS_MAX_CONNECTIONS: '1' },
    });
    const token = await loginAs(server.url, server.coordinator);
    await call(server.url, 'POST', '/v1/ceremonies', { token, json: { id: 'slow', title: 'Slow' } });
  }, 300_000);
  afterAll(async () => {
    await server?.destroy();
  });

  it('answers a JSON body that trickles with 408 REQUEST_TIMEOUT and closes its connection', async () => {
    // 40 s of trickle: far past the 2 s bound, and short enough to arrive whole if nothing cuts it.
    const body = `{"id":"x","title":"${'a'.repeat(380)}"}`;
    const { answer, sent } = await trickle(
      server.url,
      `POST /v1/ceremonies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
      100,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"REQUEST_TIMEOUT"');
    expect(sent).toBeLessThan(body.length);
  }, 120_000);

  it('closes a connection whose body no route reads, once it outlasts the bound', async () => {
    const body = 'x'.repeat(400);
    const { sent } = await trickle(
      server.url,
      `POST /v1/ceremonies/slow/open HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
      100,
    );
    expect(sent).toBeLessThan(body.length);
  }, 120_000);

  it('closes a connection whose headers trickle', async () => {
    const { answer, sent } = await trickle(
      server.url,
      'GET /v1/ceremonies HTTP/1.1\r\n',
      `X-Slow: ${'a'.repeat(390)}\r\n\r\n`,
      100,
    );
    expect(sent).toBeLessThan(400);
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  }, 120_000);

  it('answers HEAD of an events stream at once, without taking its slot', async () => {
    for (let i = 0; i < 3; i += 1) {
      const head = await fetch(`${server.url}/v1/ceremonies/slow/events`, {
        method: 'HEAD',
        signal: AbortSignal.timeout(30_000),
      });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    }
    // EVENTS_MAX_CONNECTIONS is 1: the HEADs above left it free.
    const abort = new AbortController();
    const stream = await fetch(`${server.url}/v1/ceremonies/slow/events`, { signal: abort.signal });
    expect(stream.status).toBe(200);
    abort.abort();
  }, 60_000);
});
