import { participantStatus } from '../../ceremony/queue.js';
import { participantOnBoard } from '../auth.js';
import { CeremonyParams, ErrorBody, ParticipantStatus } from '../schemas.js';
import type { Route } from '../types.js';

export const meGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/me',
    {
      schema: {
        tags: ['participant'],
        summary: 'Your queue position, turn deadline and contributions per circuit',
        params: CeremonyParams,
        response: { 200: ParticipantStatus, 403: ErrorBody },
      },
    },
    async (request) => participantStatus(s, await participantOnBoard(s, request, request.params.id)),
  );
