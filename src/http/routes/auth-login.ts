import { Type } from '@sinclair/typebox';
import { login } from '../../ceremony/auth.js';
import { chargeKey } from '../rate-limit.js';
import { ErrorBody, Hex32, Hex64 } from '../schemas.js';
import type { Route } from '../types.js';

export const authLogin: Route = (app, s) =>
  app.post(
    '/v1/auth/login',
    {
      config: { rateLimit: 'auth' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a signed nonce for a bearer token (coordinators and registered participants)',
        description:
          'signature = Ed25519 over the bytes `ceremony-auth/v2\\n<origin>\\n<nonce>`, origin as the challenge names it. ' +
          'A key the server does not know yet may send `register` to join a ceremony open to all in the same step.',
        body: Type.Object({
          publicKey: Hex32,
          nonce: Type.String({ maxLength: 128 }),
          signature: Hex64,
          register: Type.Optional(
            Type.Object({
              ceremony: Type.String({ maxLength: 63 }),
              name: Type.String({ minLength: 1, maxLength: 100 }),
            }),
          ),
        }),
        response: {
          200: Type.Object({ token: Type.String(), expiresAt: Type.String(), coordinator: Type.Boolean() }),
          401: ErrorBody,
          403: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request) => {
      chargeKey(request, request.body.publicKey);
      return login(s, request.body);
    },
  );
