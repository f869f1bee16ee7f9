import { Type } from '@sinclair/typebox';
import { revokeToken } from '../../ceremony/auth.js';
import { bearerToken, callerOf } from '../auth.js';
import { ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const authLogout: Route = (app, s) =>
  app.delete(
    '/v1/auth/token',
    {
      config: { rateLimit: 'auth' },
      schema: {
        tags: ['auth'],
        summary: 'Log out: the bearer token sent stops working at once',
        response: { 204: Type.Null(), 401: ErrorBody },
      },
    },
    async (request, reply) => {
      await callerOf(s, request);
      await revokeToken(s, bearerToken(request));
      return reply.status(204).send(null);
    },
  );
