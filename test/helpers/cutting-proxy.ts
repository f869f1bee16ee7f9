// A TCP proxy in front of a real coordinator that cuts chosen upload connections mid-body: the n-th PUT connection
// is reset once `cutAfter(n)` of its bytes have passed, and connections opened during `pauseMs` after a cut wait that
// long (a participant's link down for a while). Counts the bytes of every PUT passed on to the coordinator.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface CuttingProxy {
  url: string;
  /** Bytes of PUT connections passed on to the coordinator (request lines, headers and bodies). */
  putBytes: number;
  cuts: number[];
  close(): Promise<void>;
}

export async function startCuttingProxy(
  target: string,
  plan: { cutAfter: (putIndex: number) => number | undefined; pauseMs: number },
): Promise<CuttingProxy> {
  const upstream = new URL(target);
  let puts = 0;
  let pausedUntil = 0;
  const sockets = new Set<Socket>();
  const proxy: CuttingProxy = { url: '', putBytes: 0, cuts: [], close: async () => undefined };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.pause();
    const wait = Math.max(0, pausedUntil - Date.now());
    setTimeout(() => {
      const server = connect(Number(upstream.port), upstream.hostname);
      sockets.add(server);
      let isPut: boolean | undefined;
      let sent = 0;
      let cutAt: number | undefined;
      // The participant's side is reset; the coordinator gets what the proxy passed on, then the end of the stream
      // (as when a link dies past the coordinator's host: what reached it arrived).
      const cut = () => {
        proxy.cuts.push(sent);
        pausedUntil = Date.now() + plan.pauseMs;
        client.resetAndDestroy();
        server.end();
      };
      client.on('data', (chunk: Buffer) => {
        // A kept-alive connection carries one request after another: each one's request line starts a chunk.
        const request = /^(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS) /.exec(
          chunk.subarray(0, 8).toString('latin1'),
        );
        if (request) {
          isPut = request[1] === 'PUT';
          sent = 0;
          cutAt = isPut ? plan.cutAfter(puts++) : undefined;
        } else if (isPut === undefined) isPut = false;
        let pass = chunk;
        if (cutAt !== undefined && sent + chunk.length >= cutAt) pass = chunk.subarray(0, cutAt - sent);
        sent += pass.length;
        if (isPut) proxy.putBytes += pass.length;
        if (!server.write(pass)) {
          client.pause();
          server.once('drain', () => client.resume());
        }
        if (pass.length < chunk.length || (cutAt !== undefined && sent >= cutAt)) cut();
      });
      server.on('data', (chunk: Buffer) => client.write(chunk));
      const end = () => {
        client.destroy();
        server.destroy();
        sockets.delete(client);
        sockets.delete(server);
      };
      client.on('close', end);
      server.on('close', end);
      client.on('error', end);
      server.on('error', end);
      client.resume();
    }, wait);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('cutting proxy: no port');
  proxy.url = `http://127.0.0.1:${address.port}`;
  proxy.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}
