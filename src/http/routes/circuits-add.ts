import { Type } from '@sinclair/typebox';
import { addCircuit } from '../../ceremony/circuits.js';
import { MAX_ID_LENGTH } from '../../limits.js';
import { requireCoordinator } from '../auth.js';
import { CeremonyParams, CircuitView, ErrorBody, Hex32 } from '../schemas.js';
import type { Route } from '../types.js';

export const circuitsAdd: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/circuits',
    {
      schema: {
        tags: ['coordinator'],
        summary:
          'Add a circuit from uploaded r1cs and ptau blobs; the initial zkey is computed in the background',
        params: CeremonyParams,
        body: Type.Object({
          name: Type.String({ maxLength: MAX_ID_LENGTH }),
          r1csSha256: Hex32,
          ptauSha256: Hex32,
        }),
        response: { 202: CircuitView, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      await requireCoordinator(s, request);
      return reply.status(202).send(await addCircuit(s, request.params.id, request.body));
    },
  );
