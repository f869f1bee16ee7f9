import { Type } from '@sinclair/typebox';
import { rewindCircuit } from '../../ceremony/rewind.js';
import { MAX_INT32 } from '../../limits.js';
import { requireCeremonyCoordinatorOf } from '../auth.js';
import { CircuitParams, ErrorBody, Hex32 } from '../schemas.js';
import type { Route } from '../types.js';

export const circuitRewind: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/circuits/:name/rewind',
    {
      schema: {
        tags: ['coordinator'],
        summary:
          'Make the zkey at an earlier index current again on a circuit halted by a verifier disagreement; the later contributions are voided (logged as circuit.rewound)',
        params: CircuitParams,
        body: Type.Object({ toIndex: Type.Integer({ minimum: 0, maximum: MAX_INT32 }) }),
        response: {
          200: Type.Object({
            circuit: Type.String(),
            toIndex: Type.Integer(),
            zkeySha256: Hex32,
            voidedIndexes: Type.Array(Type.Integer()),
          }),
          400: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request) => {
      await requireCeremonyCoordinatorOf(s, request, request.params.id);
      return rewindCircuit(s, request.params.id, request.params.name, request.body.toIndex);
    },
  );
