import { Type } from '@sinclair/typebox';
import { addCosignature } from '../../ceremony/receipts.js';
import { participantOf } from '../auth.js';
import { CeremonyParams, ErrorBody, TreeSize } from '../schemas.js';
import type { Route } from '../types.js';

export const cosignatureAdd: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/cosignatures',
    {
      config: { rateLimit: 'cosignature' },
      schema: {
        tags: ['participant'],
        summary: 'Hand back your tlog-cosignature/v1 of a checkpoint; it is published beside the checkpoint',
        params: CeremonyParams,
        body: Type.Object({
          treeSize: TreeSize,
          signature: Type.String({ maxLength: 400 }),
        }),
        response: {
          201: Type.Object({ treeSize: Type.Integer(), timestamp: Type.Integer() }),
          404: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const participant = await participantOf(s, request, request.params.id);
      return reply.status(201).send(await addCosignature(s, participant, request.body));
    },
  );
