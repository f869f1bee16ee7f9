import { Type } from '@sinclair/typebox';
import { resolveZkey } from '../../ceremony/published-files.js';
import { MAX_ID_LENGTH } from '../../limits.js';
import { sendStoredFile } from '../send-file.js';
import type { Route } from '../types.js';

export const zkeyGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/circuits/:name/zkeys/:index',
    {
      schema: {
        tags: ['public'],
        summary:
          'The zkey after contribution `index` (0 = initial, `latest`, `final`); ETag = SHA-256; Range supported',
        params: Type.Object({
          id: Type.String({ maxLength: MAX_ID_LENGTH }),
          name: Type.String({ maxLength: MAX_ID_LENGTH }),
          index: Type.String({ pattern: '^(\\d{1,9}|latest|final)$' }),
        }),
      },
    },
    async (request, reply) => {
      const { id, name, index } = request.params;
      const { sha256, label } = await resolveZkey(s.db, id, name, index);
      reply.header('X-Contribution-Index', label);
      return sendStoredFile(request, reply, {
        path: s.store.pathOf(sha256),
        sha256,
        contentType: 'application/octet-stream',
        downloadName: `${id}-${name}-${label}.zkey`,
        // `latest` moves with every accepted contribution; an index or `final`, once it exists, never changes.
        immutable: index !== 'latest',
      });
    },
  );
