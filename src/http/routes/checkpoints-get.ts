import { Type } from '@sinclair/typebox';
import { CeremonyError } from '../../errors.js';
import { MAX_ID_LENGTH } from '../../limits.js';
import { cosignedCheckpoint } from '../../transcript/log.js';
import type { Route } from '../types.js';

export const checkpointsGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/checkpoints/:size',
    {
      schema: {
        tags: ['public'],
        summary: 'The checkpoint signed at a tree size, with the participants\u2019 cosignatures',
        params: Type.Object({
          id: Type.String({ maxLength: MAX_ID_LENGTH }),
          size: Type.Integer({ minimum: 1 }),
        }),
      },
    },
    async (request, reply) => {
      const note = await cosignedCheckpoint(s.db, request.params.id, request.params.size);
      if (note === undefined)
        throw new CeremonyError('NOT_FOUND', `no checkpoint of size ${request.params.size}`);
      return reply.header('Content-Type', 'text/plain; charset=utf-8').send(note);
    },
  );
