import { Type } from '@sinclair/typebox';
import { issueChallenge } from '../../ceremony/auth.js';
import { chargeKey } from '../rate-limit.js';
import { ErrorBody, Hex32 } from '../schemas.js';
import type { Route } from '../types.js';

export const authChallenge: Route = (app, s) =>
  app.post(
    '/v1/auth/challenge',
    {
      config: { rateLimit: 'auth' },
      schema: {
        tags: ['auth'],
        summary: 'Get a single-use nonce to sign, and the origin to sign it for',
        body: Type.Object({ publicKey: Hex32 }),
        response: {
          200: Type.Object({ nonce: Type.String(), expiresAt: Type.String(), origin: Type.String() }),
          400: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request) => {
      chargeKey(request, request.body.publicKey);
      return issueChallenge(s, request.body.publicKey);
    },
  );
