import { joinQueue } from '../../ceremony/queue.js';
import { participantOf } from '../auth.js';
import { CeremonyParams, ErrorBody, ParticipantStatus } from '../schemas.js';
import type { Route } from '../types.js';

export const queueJoin: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/queue',
    {
      config: { rateLimit: 'queue' },
      schema: {
        tags: ['participant'],
        summary: 'Join the queue for every circuit not yet contributed to (idempotent)',
        params: CeremonyParams,
        response: { 200: ParticipantStatus, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => joinQueue(s, await participantOf(s, request, request.params.id)),
  );
