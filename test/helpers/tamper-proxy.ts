// An HTTP proxy in front of a real coordinator that can rewrite chosen answers: the page it serves is the real
// one, so the browser audit sees a coordinator that lies about one file.
import { createServer, request as httpRequest, type Server } from 'node:http';

/** Given the request path and the real body, the body to answer instead (undefined: answer the real one). */
export type Rewrite = (path: string, body: string) => string | undefined;

export interface TamperProxy {
  url: string;
  rewrite: Rewrite | undefined;
  close(): Promise<void>;
}

export async function startTamperProxy(target: string): Promise<TamperProxy> {
  const upstream = new URL(target);
  const proxy: TamperProxy = { url: '', rewrite: undefined, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers, host: upstream.host };
    // Bodies are rewritten as text, so ask for them uncompressed.
    delete headers['accept-encoding'];
    // And whole: a 304 to the browser's revalidation would keep the real body it cached before the rewrite began.
    if (proxy.rewrite) {
      delete headers['if-none-match'];
      delete headers['if-modified-since'];
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
      (answer) => {
        const rewrite = proxy.rewrite;
        const streaming = String(answer.headers['content-type'] ?? '').startsWith('text/event-stream');
        if (!rewrite || streaming) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const real = Buffer.concat(chunks).toString('utf8');
          const replaced = rewrite(req.url ?? '', real);
          const body = replaced ?? real;
          const outHeaders = { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) };
          delete outHeaders.etag;
          res.writeHead(answer.statusCode ?? 502, outHeaders);
          res.end(body);
        });
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('startTamperProxy: no port');
  proxy.url = `http://127.0.0.1:${address.port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
