import { Type } from '@sinclair/typebox';
import { MAX_APPROVALS } from '../../approvals/approval-message.js';
import { createCeremony } from '../../ceremony/ceremonies.js';
import {
  CEREMONY_ID_SOURCE,
  MAX_TITLE_LENGTH,
  MAX_TURN_TIMEOUT_SECONDS,
  MIN_TURN_TIMEOUT_SECONDS,
} from '../../limits.js';
import { requireConfiguredCoordinator } from '../auth.js';
import { CeremonyView, ErrorBody, Hex32 } from '../schemas.js';
import type { Route } from '../types.js';

export const ceremoniesCreate: Route = (app, s) =>
  app.post(
    '/v1/ceremonies',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'Create a ceremony (draft)',
        body: Type.Object({
          id: Type.String({ pattern: CEREMONY_ID_SOURCE }),
          title: Type.String({ minLength: 1, maxLength: MAX_TITLE_LENGTH }),
          timeoutSeconds: Type.Optional(
            Type.Integer({ minimum: MIN_TURN_TIMEOUT_SECONDS, maximum: MAX_TURN_TIMEOUT_SECONDS }),
          ),
          startsAt: Type.Optional(Type.String({ format: 'date-time' })),
          endsAt: Type.Optional(Type.String({ format: 'date-time' })),
          openRegistration: Type.Optional(Type.Boolean()),
          approvals: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_APPROVALS })),
          coCoordinators: Type.Optional(Type.Array(Hex32, { maxItems: MAX_APPROVALS })),
        }),
        response: { 201: CeremonyView, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const caller = await requireConfiguredCoordinator(s, request);
      return reply.status(201).send(await createCeremony(s, caller.publicKey, request.body));
    },
  );
