import { Type } from '@sinclair/typebox';
import { createCeremony } from '../../ceremony/ceremonies.js';
import {
  CEREMONY_ID_SOURCE,
  MAX_TITLE_LENGTH,
  MAX_TURN_TIMEOUT_SECONDS,
  MIN_TURN_TIMEOUT_SECONDS,
} from '../../limits.js';
import { requireCoordinator } from '../auth.js';
import { CeremonyView, ErrorBody } from '../schemas.js';
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
        }),
        response: { 201: CeremonyView, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const caller = await requireCoordinator(s, request);
      return reply.status(201).send(await createCeremony(s, caller.publicKey, request.body));
    },
  );
