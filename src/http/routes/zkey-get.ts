import { Type } from '@sinclair/typebox';
import { resolveZkey } from '../../ceremony/published-files.js';
import { CeremonyId, CircuitName } from '../schemas.js';
import { matchesEtag, sendStoredFile } from '../send-file.js';
import type { Route } from '../types.js';

export const zkeyGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/circuits/:name/zkeys/:index',
    {
      schema: {
        tags: ['public'],
        summary:
          'The zkey after contribution `index` (0 = initial, `latest`, `final`); ETag = SHA-256; Range supported; ' +
          'with S3_PRESIGN_DOWNLOADS=on, 302 to a short-lived presigned URL (the ETag still names the SHA-256)',
        params: Type.Object({
          id: CeremonyId,
          name: CircuitName,
          index: Type.String({ pattern: '^(\\d{1,9}|latest|final)$' }),
        }),
      },
    },
    async (request, reply) => {
      const { id, name, index } = request.params;
      const { sha256, label } = await resolveZkey(s.db, id, name, index);
      reply.header('X-Contribution-Index', label);
      const downloadName = `${id}-${name}-${label}.zkey`;
      const presigned = await s.store.presignDownload(sha256, downloadName);
      if (presigned !== undefined) {
        // The ETag still names the SHA-256 the client must get; the store's own ETag is not one.
        const etag = `"${sha256}"`;
        reply.header('ETag', etag).header('Cache-Control', 'no-store');
        if (matchesEtag(request.headers['if-none-match'], etag)) return reply.status(304).send();
        return reply.redirect(presigned, 302);
      }
      return sendStoredFile(request, reply, {
        source: await s.store.source(sha256),
        sha256,
        contentType: 'application/octet-stream',
        downloadName,
        // `latest` moves with every accepted contribution; an index or `final`, once it exists, never changes.
        immutable: index !== 'latest',
      });
    },
  );
