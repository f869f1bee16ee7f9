import { CeremonyParams, CeremonyView, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const ceremonyGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id',
    {
      schema: {
        tags: ['public'],
        summary: 'State, circuits with their current contribution index, queue length',
        params: CeremonyParams,
        response: { 200: CeremonyView, 404: ErrorBody },
      },
    },
    async (request) => s.board.view(request.params.id),
  );
