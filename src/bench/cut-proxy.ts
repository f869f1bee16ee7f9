// A TCP proxy in front of the bench's coordinator that resets the first upload (PUT) connection once a given number
// of its bytes has passed, counts the bytes of every PUT it passes on, and times the uploads: from the first PUT's
// request line to the last answer to a PUT.
import { connect, createServer, type Socket } from 'node:net';

export interface CutProxy {
  url: string;
  /** Bytes of PUT connections passed on to the coordinator (request lines, headers and bodies). */
  putBytes: number;
  puts: number;
  /** Bytes into the first PUT connection where it was reset; undefined while it was not. */
  cutAt: number | undefined;
  /** performance.now() of the first PUT request line, of the cut, of the next PUT's request line, and of the first
   * bytes of the last answer to a PUT. */
  firstPutAt: number | undefined;
  cutTime: number | undefined;
  nextPutAt: number | undefined;
  lastPutAnswerAt: number | undefined;
  close(): Promise<void>;
}

/** `cutAfter` bytes of the first PUT connection pass, then it is reset; undefined passes everything. */
export async function startCutProxy(target: string, cutAfter: number | undefined): Promise<CutProxy> {
  if (cutAfter !== undefined && (!Number.isSafeInteger(cutAfter) || cutAfter < 1))
    throw new RangeError(`startCutProxy: cutAfter must be a positive integer, got ${cutAfter}`);
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const proxy: CutProxy = {
    url: '',
    putBytes: 0,
    puts: 0,
    cutAt: undefined,
    firstPutAt: undefined,
    cutTime: undefined,
    nextPutAt: undefined,
    lastPutAnswerAt: undefined,
    close: async () => undefined,
  };
  const listener = createServer((client) => {
    const server = connect(Number(upstream.port), upstream.hostname);
    for (const s of [client, server]) sockets.add(s);
    let isPut = false;
    let sent = 0;
    let cutHere: number | undefined;
    let answered = false;
    client.on('data', (chunk: Buffer) => {
      // A kept-alive connection carries one request after another: each one's request line starts a chunk.
      const request = /^(GET|HEAD|POST|PUT|DELETE|PATCH) /.exec(chunk.subarray(0, 8).toString('latin1'));
      if (request) {
        isPut = request[1] === 'PUT';
        sent = 0;
        answered = false;
        cutHere = isPut && proxy.puts === 0 ? cutAfter : undefined;
        if (isPut) {
          if (proxy.puts === 1) proxy.nextPutAt = performance.now();
          proxy.firstPutAt ??= performance.now();
          proxy.puts++;
        }
      }
      const pass = cutHere !== undefined ? chunk.subarray(0, Math.max(0, cutHere - sent)) : chunk;
      sent += pass.length;
      if (isPut) proxy.putBytes += pass.length;
      if (!server.write(pass)) {
        client.pause();
        server.once('drain', () => client.resume());
      }
      if (cutHere !== undefined && sent >= cutHere) {
        proxy.cutAt = sent;
        proxy.cutTime = performance.now();
        cutHere = undefined;
        // What reached the coordinator arrived; the client's connection is reset.
        client.resetAndDestroy();
        server.end();
      }
    });
    server.on('data', (chunk: Buffer) => {
      if (isPut && !answered) {
        answered = true;
        proxy.lastPutAnswerAt = performance.now();
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    for (const s of [client, server]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('startCutProxy: no port');
  proxy.url = `http://127.0.0.1:${address.port}`;
  proxy.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  };
  return proxy;
}
