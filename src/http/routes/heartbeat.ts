import { heartbeat } from '../../ceremony/queue.js';
import { participantOnBoard } from '../auth.js';
import { CeremonyParams, ErrorBody, ParticipantStatus } from '../schemas.js';
import type { Route } from '../types.js';

export const heartbeatPost: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/heartbeat',
    {
      config: { rateLimit: 'heartbeat' },
      schema: {
        tags: ['participant'],
        summary: 'Show you are still there; silent participants lose their place after the grace period',
        params: CeremonyParams,
        response: { 200: ParticipantStatus, 403: ErrorBody },
      },
    },
    async (request) => heartbeat(s, await participantOnBoard(s, request, request.params.id)),
  );
