import { closeCeremony } from '../../ceremony/ceremonies.js';
import { requireCeremonyCoordinatorOf } from '../auth.js';
import { CeremonyParams, CeremonyView, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const ceremonyClose: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/close',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'Close the round: waiting turns dropped, active turns expire',
        params: CeremonyParams,
        response: { 200: CeremonyView, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      await requireCeremonyCoordinatorOf(s, request, request.params.id);
      return closeCeremony(s, request.params.id);
    },
  );
