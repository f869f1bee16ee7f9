import { loadCeremony } from '../../ceremony/ceremony-row.js';
import { CeremonyError } from '../../errors.js';
import { cosignedCheckpoint } from '../../transcript/log.js';
import { CeremonyParams } from '../schemas.js';
import type { Route } from '../types.js';

export const checkpointGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/checkpoint',
    {
      schema: {
        tags: ['public'],
        summary: 'The latest signed checkpoint (C2SP signed note, text/plain)',
        params: CeremonyParams,
      },
    },
    async (request, reply) => {
      await loadCeremony(s.db, request.params.id);
      const note = await cosignedCheckpoint(s.db, request.params.id);
      if (note === undefined) throw new CeremonyError('NOT_FOUND', 'no checkpoint yet');
      return reply
        .header('Content-Type', 'text/plain; charset=utf-8')
        .header('Cache-Control', 'no-cache')
        .send(note);
    },
  );
