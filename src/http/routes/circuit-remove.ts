import { removeFailedCircuit } from '../../ceremony/admin.js';
import { getCeremonyView } from '../../ceremony/ceremonies.js';
import { requireCeremonyCoordinatorOf } from '../auth.js';
import { CeremonyView, CircuitParams, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const circuitRemove: Route = (app, s) =>
  app.delete(
    '/v1/ceremonies/:id/circuits/:name',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'Remove a circuit whose setup failed (draft ceremonies only)',
        params: CircuitParams,
        response: { 200: CeremonyView, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      await requireCeremonyCoordinatorOf(s, request, request.params.id);
      await removeFailedCircuit(s, request.params.id, request.params.name);
      return getCeremonyView(s.db, request.params.id);
    },
  );
