import { leaveQueue } from '../../ceremony/queue.js';
import { participantOf } from '../auth.js';
import { CeremonyParams, ErrorBody, ParticipantStatus } from '../schemas.js';
import type { Route } from '../types.js';

export const queueLeave: Route = (app, s) =>
  app.delete(
    '/v1/ceremonies/:id/queue',
    {
      config: { rateLimit: 'queue' },
      schema: {
        tags: ['participant'],
        summary: 'Leave the queue; an active turn ends as turn.expired',
        params: CeremonyParams,
        response: { 200: ParticipantStatus, 403: ErrorBody },
      },
    },
    async (request) => leaveQueue(s, await participantOf(s, request, request.params.id)),
  );
