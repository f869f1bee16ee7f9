import { Type } from '@sinclair/typebox';
import { withdrawRequest } from '../../approvals/approvals.js';
import { callerOf } from '../auth.js';
import { CeremonyId, ErrorBody, Hex32 } from '../schemas.js';
import type { Route } from '../types.js';

export const approvalWithdraw: Route = (app, s) =>
  app.delete(
    '/v1/ceremonies/:id/approvals/:request',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'The proposer withdraws a pending request (logged as approval.withdrawn)',
        params: Type.Object({ id: CeremonyId, request: Hex32 }),
        response: {
          200: Type.Object({ request: Type.String(), withdrawn: Type.Array(Type.Integer()) }),
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const caller = await callerOf(s, request);
      return withdrawRequest(s, request.params.id, caller.publicKey, request.params.request);
    },
  );
