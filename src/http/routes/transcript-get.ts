import { Readable } from 'node:stream';
import { loadCeremony } from '../../ceremony/ceremony-row.js';
import * as q from '../../db/queries/transcript.js';
import { CeremonyParams } from '../schemas.js';
import type { Route } from '../types.js';

export const transcriptGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/transcript',
    {
      schema: {
        tags: ['public'],
        summary: 'Every transcript entry, one canonical JSON line each, in seq order (application/x-ndjson)',
        params: CeremonyParams,
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      await loadCeremony(s.db, id);
      // Read up to the size of the newest checkpoint so the body never shows a half-written append.
      const head = await q.selectLatestCheckpoint(s.db, id);
      const size = head?.tree_size ?? 0;
      async function* lines() {
        for (let from = 0; from < size; ) {
          const batch = await q.selectEntries(s.db, id, from, Math.min(2000, size - from));
          if (batch.length === 0) return;
          yield batch.map((e) => `${e.line}\n`).join('');
          from += batch.length;
        }
      }
      reply.header('Content-Type', 'application/x-ndjson').header('X-Tree-Size', String(size));
      return reply.send(Readable.from(lines()));
    },
  );
