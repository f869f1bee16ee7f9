import { expireActiveTurn } from '../../ceremony/admin.js';
import { getCeremonyView } from '../../ceremony/ceremonies.js';
import { requireCeremonyCoordinatorOf } from '../auth.js';
import { CeremonyView, CircuitParams, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const turnExpire: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/circuits/:name/expire-turn',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'End the active turn on this circuit now (logged as turn.expired, reason coordinator)',
        params: CircuitParams,
        response: { 200: CeremonyView, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      await requireCeremonyCoordinatorOf(s, request, request.params.id);
      await expireActiveTurn(s, request.params.id, request.params.name);
      return getCeremonyView(s.db, request.params.id);
    },
  );
