import { Type } from '@sinclair/typebox';
import { APPROVAL_ACTIONS } from '../../approvals/approval-message.js';
import { submitApproval } from '../../approvals/approvals.js';
import { callerOf } from '../auth.js';
import { CeremonyParams, ErrorBody, Hex64 } from '../schemas.js';
import type { Route } from '../types.js';

export const ApprovalOutcome = Type.Object({
  pending: Type.Boolean(),
  request: Type.String(),
  action: Type.String(),
  arguments: Type.Record(Type.String(), Type.Unknown()),
  approvals: Type.Integer(),
  required: Type.Integer(),
  seqs: Type.Array(Type.Integer()),
  expiresAt: Type.String(),
});

export const approvalsSubmit: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/approvals',
    {
      schema: {
        tags: ['coordinator'],
        summary:
          'Approve an act (finalize, add-coordinator, remove-coordinator, revoke-participant) with a signature over ' +
          'ceremony-approval/v1; logged as approval.given; the approval that completes the quorum applies the act',
        params: CeremonyParams,
        body: Type.Object({
          action: Type.Union(APPROVAL_ACTIONS.map((a) => Type.Literal(a))),
          arguments: Type.Record(Type.String(), Type.Unknown(), { maxProperties: 8 }),
          signature: Hex64,
        }),
        response: {
          200: ApprovalOutcome,
          202: ApprovalOutcome,
          400: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const caller = await callerOf(s, request);
      const outcome = await submitApproval(s, request.params.id, caller.publicKey, request.body);
      return reply.status(outcome.pending ? 202 : 200).send(outcome);
    },
  );
