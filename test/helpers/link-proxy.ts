// A participant's link to a real coordinator, as a TCP proxy: it keeps a copy of every byte the client sends, counts
// the bytes of upload (PUT) connections, and can drop the link in the middle of the n-th PUT or as its answer
// arrives: every connection is reset at once and new ones are refused for `downMs` (a link down for a while, not one
// connection lost on a healthy path, which a browser answers by sending the request again by itself).
import { connect, createServer, type Socket } from 'node:net';

export interface LinkProxy {
  url: string;
  /** Bytes of PUT connections passed on to the coordinator (request lines, headers and bodies). */
  putBytes: number;
  /** Bytes into the PUT connection where each drop happened. */
  cuts: number[];
  /** Connections refused while the link was down. */
  refused: number;
  /** Everything clients sent through the proxy so far, connections in the order their bytes arrived. */
  sent(): Buffer;
  close(): Promise<void>;
}

export interface LinkPlan {
  /** Drops the link once the n-th PUT connection (from 0) has passed this many bytes; never when undefined. */
  dropAfter?: (putIndex: number) => number | undefined;
  /** Drops the link when the answer to the n-th PUT connection (from 0) arrives, before it reaches the client. */
  dropOnAnswerTo?: number;
  downMs?: number;
}

export async function startLinkProxy(target: string, plan: LinkPlan = {}): Promise<LinkProxy> {
  const upstream = new URL(target);
  const chunks: Buffer[] = [];
  const clients = new Set<Socket>();
  const servers = new Set<Socket>();
  let puts = 0;
  let downUntil = 0;
  const proxy: LinkProxy = {
    url: '',
    putBytes: 0,
    cuts: [],
    refused: 0,
    sent: () => Buffer.concat(chunks),
    close: async () => undefined,
  };
  // What reached the coordinator arrived; the participant's side of every connection is reset.
  const drop = () => {
    downUntil = Date.now() + (plan.downMs ?? 0);
    for (const c of clients) c.resetAndDestroy();
    for (const s of servers) s.end();
  };
  const listener = createServer((client) => {
    if (Date.now() < downUntil) {
      proxy.refused++;
      client.resetAndDestroy();
      return;
    }
    const server = connect(Number(upstream.port), upstream.hostname);
    clients.add(client);
    servers.add(server);
    let isPut = false;
    let putIndex = -1;
    let sent = 0;
    let dropAt: number | undefined;
    client.on('data', (chunk: Buffer) => {
      // A kept-alive connection carries one request after another: each one's request line starts a chunk.
      const request = /^(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS) /.exec(
        chunk.subarray(0, 8).toString('latin1'),
      );
      if (request) {
        isPut = request[1] === 'PUT';
        sent = 0;
        putIndex = isPut ? puts++ : -1;
        dropAt = isPut ? plan.dropAfter?.(putIndex) : undefined;
      }
      let pass = chunk;
      if (dropAt !== undefined && sent + chunk.length >= dropAt) pass = chunk.subarray(0, dropAt - sent);
      chunks.push(Buffer.from(pass));
      sent += pass.length;
      if (isPut) proxy.putBytes += pass.length;
      if (!server.write(pass)) {
        client.pause();
        server.once('drain', () => client.resume());
      }
      if (dropAt !== undefined && sent >= dropAt) {
        proxy.cuts.push(sent);
        dropAt = undefined;
        drop();
      }
    });
    server.on('data', (chunk: Buffer) => {
      if (isPut && putIndex === plan.dropOnAnswerTo) {
        proxy.cuts.push(sent);
        return drop();
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      server.destroy();
      clients.delete(client);
      servers.delete(server);
    };
    for (const s of [client, server]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('link proxy: no port');
  proxy.url = `http://127.0.0.1:${address.port}`;
  proxy.close = async () => {
    for (const s of [...clients, ...servers]) s.destroy();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  };
  return proxy;
}
