import type { Route } from '../types.js';

export const logKeyGet: Route = (app, s) =>
  app.get(
    '/v1/log-key',
    {
      schema: {
        tags: ['public'],
        summary: 'Checkpoint verifier key (C2SP note verifier key form, text/plain)',
      },
    },
    async (_request, reply) =>
      reply.header('Content-Type', 'text/plain; charset=utf-8').send(`${s.signer.verifierKey}\n`),
  );
