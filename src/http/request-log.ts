// One log line per request, after the answer (Fastify's own pair of lines is off): every write and every error,
// and one in `sampleReads` successful reads, so a crowd polling its status does not flood the log.
import type { App } from './types.js';

/** What pino blanks in every line: the bearer token, and the attestation and statement a contributor sent. */
export const REDACTED_LOG_PATHS = [
  'headers.authorization',
  'headers["x-ceremony-attestation"]',
  'headers["x-ceremony-statement"]',
  'req.headers.authorization',
  'req.headers["x-ceremony-attestation"]',
  'req.headers["x-ceremony-statement"]',
];

export function registerRequestLog(app: App, sampleReads: number): void {
  let reads = 0;
  app.addHook('onResponse', async (request, reply) => {
    const read = (request.method === 'GET' || request.method === 'HEAD') && reply.statusCode < 400;
    if (read) {
      if (sampleReads === 0) return;
      reads = (reads + 1) % sampleReads;
      if (reads !== 0) return;
    }
    request.log.info(
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ...(read && sampleReads > 1 ? { sampled: sampleReads } : {}),
        // At trace level the headers too, to debug a client; REDACTED_LOG_PATHS keeps the secret ones out.
        ...(request.log.level === 'trace' ? { headers: request.headers } : {}),
      },
      'request',
    );
  });
}
