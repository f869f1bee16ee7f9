// Upload routes take their body as a raw stream; any other content type is the client's mistake, not a 500.
import type { FastifyRequest } from 'fastify';
import { CeremonyError } from '../errors.js';

export function streamBodyOf(request: FastifyRequest): NodeJS.ReadableStream {
  const body = request.body as { pipe?: unknown } | undefined;
  if (typeof body?.pipe !== 'function')
    throw new CeremonyError(
      'BAD_REQUEST',
      'send the file as the body with Content-Type: application/octet-stream',
    );
  return body as NodeJS.ReadableStream;
}
