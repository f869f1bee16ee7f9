import { retryCircuitSetup } from '../../ceremony/admin.js';
import { getCeremonyView } from '../../ceremony/ceremonies.js';
import { requireCeremonyCoordinatorOf } from '../auth.js';
import { CeremonyView, CircuitParams, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const circuitRetry: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/circuits/:name/retry',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'Compute the initial zkey of a circuit whose setup failed again (in the background)',
        params: CircuitParams,
        response: { 202: CeremonyView, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      await requireCeremonyCoordinatorOf(s, request, request.params.id);
      await retryCircuitSetup(s, request.params.id, request.params.name);
      return reply.status(202).send(await getCeremonyView(s.db, request.params.id));
    },
  );
