import { Type } from '@sinclair/typebox';
import { login } from '../../ceremony/auth.js';
import { ErrorBody, Hex32, Hex64 } from '../schemas.js';
import type { Route } from '../types.js';

export const authLogin: Route = (app, s) =>
  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange a signed nonce for a bearer token',
        description: 'signature = Ed25519 over the bytes `ceremony-auth/v1\\n<nonce>`',
        body: Type.Object({ publicKey: Hex32, nonce: Type.String({ maxLength: 128 }), signature: Hex64 }),
        response: {
          200: Type.Object({ token: Type.String(), expiresAt: Type.String(), coordinator: Type.Boolean() }),
          401: ErrorBody,
        },
      },
    },
    async (request) => login(s, request.body),
  );
