import { Type } from '@sinclair/typebox';
import { createCeremony } from '../../ceremony/ceremonies.js';
import { requireConfiguredCoordinator } from '../auth.js';
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
          id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
          title: Type.String({ minLength: 1, maxLength: 200 }),
          timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400 })),
          startsAt: Type.Optional(Type.String({ format: 'date-time' })),
          endsAt: Type.Optional(Type.String({ format: 'date-time' })),
          openRegistration: Type.Optional(Type.Boolean()),
        }),
        response: { 201: CeremonyView, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const caller = await requireConfiguredCoordinator(s, request);
      return reply.status(201).send(await createCeremony(s, caller.publicKey, request.body));
    },
  );
