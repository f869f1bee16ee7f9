import { Type } from '@sinclair/typebox';
import { issueChallenge } from '../../ceremony/auth.js';
import { ErrorBody, Hex32 } from '../schemas.js';
import type { Route } from '../types.js';

export const authChallenge: Route = (app, s) =>
  app.post(
    '/v1/auth/challenge',
    {
      schema: {
        tags: ['auth'],
        summary: 'Get a single-use nonce to sign',
        body: Type.Object({ publicKey: Hex32 }),
        response: { 200: Type.Object({ nonce: Type.String(), expiresAt: Type.String() }), 400: ErrorBody },
      },
    },
    async (request) => issueChallenge(s, request.body.publicKey),
  );
