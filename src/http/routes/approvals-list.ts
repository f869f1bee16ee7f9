import { Type } from '@sinclair/typebox';
import { listPendingRequests } from '../../approvals/approvals.js';
import { callerOf } from '../auth.js';
import { CeremonyParams, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

const PendingRequest = Type.Object({
  request: Type.String(),
  action: Type.String(),
  arguments: Type.Record(Type.String(), Type.Unknown()),
  proposer: Type.String(),
  approvals: Type.Array(Type.Object({ publicKey: Type.String(), seq: Type.Integer() })),
  required: Type.Integer(),
  expiresAt: Type.String(),
});

export const approvalsList: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/approvals',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'The requests waiting for approvals in this ceremony (its coordinators only), oldest first',
        params: CeremonyParams,
        response: { 200: Type.Array(PendingRequest), 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const caller = await callerOf(s, request);
      return listPendingRequests(s, request.params.id, caller.publicKey);
    },
  );
