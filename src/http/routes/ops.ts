import { pingDatabase } from '../../db/database.js';
import { witnessReadiness } from '../../witness/readiness.js';
import type { Route } from '../types.js';

export const opsRoutes: Route = (app, s) => {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is up' } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'The database answers within READY_TIMEOUT_MS' } },
    async (_request, reply) => {
      try {
        await pingDatabase(s.db, s.config.readyTimeoutMs);
        if (s.config.witnesses.length === 0) return { status: 'ready' };
        // Ready still, but loud: a witness refusing the log is a rollback or a split view (docs/RUNBOOK.md).
        return { status: 'ready', witnesses: await witnessReadiness(s) };
      } catch {
        return reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'database unavailable' } });
      }
    },
  );
  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics' } },
    async (_request, reply) =>
      reply.header('Content-Type', s.metrics.registry.contentType).send(await s.metrics.registry.metrics()),
  );
};
