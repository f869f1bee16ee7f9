import { Type } from '@sinclair/typebox';
import { addCoordinator } from '../../ceremony/ownership.js';
import { callerOf } from '../auth.js';
import { CeremonyParams, ErrorBody, Hex32 } from '../schemas.js';
import type { Route } from '../types.js';

export const coordinatorsAdd: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/coordinators',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'The owner names a co-coordinator of this ceremony (logged as coordinator.added)',
        params: CeremonyParams,
        body: Type.Object({ publicKey: Hex32 }),
        response: {
          201: Type.Object({ ceremony: Type.String(), publicKey: Type.String() }),
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const caller = await callerOf(s, request);
      const added = await addCoordinator(s, request.params.id, caller.publicKey, request.body.publicKey);
      return reply.status(201).send(added);
    },
  );
