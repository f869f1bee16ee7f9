import { Type } from '@sinclair/typebox';
import { receiveContribution } from '../../ceremony/contributions.js';
import { CeremonyError } from '../../errors.js';
import { participantOf } from '../auth.js';
import { CircuitParams, ContributionView, ErrorBody, Hex64 } from '../schemas.js';
import { streamBodyOf } from '../stream-body.js';
import type { Route } from '../types.js';

function decodeStatement(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(header))
    throw new CeremonyError('BAD_REQUEST', 'x-ceremony-statement must be base64');
  // Invalid UTF-8 is refused, not silently turned into U+FFFD: the transcript must hold what the participant wrote.
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(header, 'base64'));
  } catch {
    throw new CeremonyError('BAD_REQUEST', 'x-ceremony-statement must be base64 of UTF-8 text');
  }
}

function offsetOf(header: string | undefined): number | undefined {
  return header === undefined ? undefined : Number(header);
}

export const contributionUpload: Route = (app, s) =>
  app.put(
    '/v1/ceremonies/:id/circuits/:name/contribution',
    {
      config: { rateLimit: 'upload', streamsBody: true },
      schema: {
        tags: ['participant'],
        summary: 'Upload your contribution (the new zkey, streamed) with its attestation during your turn',
        params: CircuitParams,
        headers: Type.Object({
          'x-ceremony-attestation': Hex64,
          'x-ceremony-statement': Type.Optional(Type.String()),
          // Resuming a cut upload: the body is the file from this byte on (GET …/contribution/upload says where).
          'x-ceremony-upload-offset': Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
        }),
        response: { 202: ContributionView, 409: ErrorBody, 413: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const participant = await participantOf(s, request, request.params.id);
      const length = request.headers['content-length'];
      const view = await receiveContribution(s, participant, {
        circuit: request.params.name,
        body: streamBodyOf(request),
        contentLength: length === undefined ? undefined : Number(length),
        attestation: request.headers['x-ceremony-attestation'],
        statement: decodeStatement(request.headers['x-ceremony-statement']),
        offset: offsetOf(request.headers['x-ceremony-upload-offset']),
      });
      return reply.status(202).send(view);
    },
  );
