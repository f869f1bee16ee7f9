// The witness's HTTP face (node:http, plain text as C2SP tlog-witness asks): POST /add-checkpoint, the monitoring
// read GET /<origin hash>/checkpoint, and GET /evidence. Bounded: body size, requests a minute per address,
// open connections, and time to send a request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Bucket, takeToken } from '../http/rate-limit.js';
import type { Witness, WitnessAnswer } from './witness.js';

export interface WitnessLimits {
  /** Largest add-checkpoint body accepted (bytes). */
  maxBodyBytes: number;
  /** Requests a minute one address may make. */
  requestsPerMinute: number;
  maxConnections: number;
  /** Time a client has to send a whole request (ms). */
  requestTimeoutMs: number;
}

export const DEFAULT_WITNESS_LIMITS: WitnessLimits = {
  maxBodyBytes: 32 * 1024,
  requestsPerMinute: 6000,
  maxConnections: 256,
  requestTimeoutMs: 10_000,
};

// Bounds memory under a flood of fresh addresses; evicting an old bucket only forgives its owner.
const MAX_BUCKETS = 10_000;

export interface RunningWitness {
  url: string;
  close(): Promise<void>;
}

export async function listenWitness(
  witness: Witness,
  options: { host: string; port: number; limits: WitnessLimits },
): Promise<RunningWitness> {
  const { limits } = options;
  const buckets = new Map<string, Bucket>();
  const server: Server = createServer({ requestTimeout: limits.requestTimeoutMs, keepAliveTimeout: 30_000 });
  server.maxConnections = limits.maxConnections;
  server.on('request', (req, res) => {
    const who = req.socket.remoteAddress ?? '';
    const { bucket, retryAfterSeconds } = takeToken(buckets.get(who), Date.now(), limits.requestsPerMinute);
    buckets.delete(who);
    buckets.set(who, bucket);
    if (buckets.size > MAX_BUCKETS) buckets.delete(buckets.keys().next().value as string);
    if (retryAfterSeconds !== null) {
      res.setHeader('Retry-After', String(retryAfterSeconds));
      return send(res, plain(429, 'too many requests'));
    }
    route(witness, req, limits).then(
      (answer) => send(res, answer),
      () => send(res, plain(500, 'internal error')),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Answer = Pick<WitnessAnswer, 'body'> & { status: number; contentType: string };

async function route(witness: Witness, req: IncomingMessage, limits: WitnessLimits): Promise<Answer> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path === '/add-checkpoint') {
    if (req.method !== 'POST') return plain(405, 'add-checkpoint takes POST');
    const body = await readBody(req, limits.maxBodyBytes);
    if (body === null) return plain(413, `request body over ${limits.maxBodyBytes} bytes`);
    return witness.addCheckpoint(body);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'method not allowed');
  const monitored = /^\/([0-9a-f]{64})\/checkpoint$/.exec(path);
  if (monitored?.[1] !== undefined) {
    const note = await witness.latestCheckpoint(monitored[1]);
    return note === undefined ? plain(404, 'this witness never cosigned that log') : plain(200, note, false);
  }
  if (path === '/evidence')
    return { status: 200, contentType: 'application/x-ndjson', body: await witness.evidence() };
  if (path === '/vkey') return plain(200, witness.vkey);
  return plain(404, 'not found');
}

/** The body as UTF-8 text, or null past `maxBytes` (then the rest is not read). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function plain(status: number, text: string, newline = true): Answer {
  return { status, contentType: 'text/plain; charset=utf-8', body: newline ? `${text}\n` : text };
}

function send(res: ServerResponse, answer: Answer): void {
  res.statusCode = answer.status;
  res.setHeader('Content-Type', answer.contentType);
  res.setHeader('Content-Length', Buffer.byteLength(answer.body));
  res.end(answer.body);
}
