import { Type } from '@sinclair/typebox';
import { removeCoordinator } from '../../ceremony/ownership.js';
import { callerOf } from '../auth.js';
import { CeremonyId, ErrorBody, Hex32 } from '../schemas.js';
import type { Route } from '../types.js';

export const coordinatorRemove: Route = (app, s) =>
  app.delete(
    '/v1/ceremonies/:id/coordinators/:publicKey',
    {
      schema: {
        tags: ['coordinator'],
        summary:
          'The owner removes a co-coordinator; its sessions end at once (logged as coordinator.removed)',
        params: Type.Object({ id: CeremonyId, publicKey: Hex32 }),
        response: {
          200: Type.Object({ ceremony: Type.String(), publicKey: Type.String() }),
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request) => {
      const caller = await callerOf(s, request);
      return removeCoordinator(s, request.params.id, caller.publicKey, request.params.publicKey);
    },
  );
