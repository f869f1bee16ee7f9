import { openCeremony } from '../../ceremony/ceremonies.js';
import { requireCeremonyCoordinatorOf } from '../auth.js';
import { CeremonyParams, CeremonyView, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const ceremonyOpen: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/open',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'Open the round',
        params: CeremonyParams,
        response: { 200: CeremonyView, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      await requireCeremonyCoordinatorOf(s, request, request.params.id);
      return openCeremony(s, request.params.id);
    },
  );
