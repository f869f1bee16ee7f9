import { Type } from '@sinclair/typebox';
import { findBackupFile } from '../../backup/create.js';
import { requireServerAdmin } from '../auth.js';
import { sendStoredFile } from '../send-file.js';
import type { Route } from '../types.js';

export const adminBackupFileGet: Route = (app, s) =>
  app.get(
    '/v1/admin/backups/:backupId/files/*',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'One file of a staged backup, streamed, with its SHA-256 as ETag',
        params: Type.Object({
          backupId: Type.String({ maxLength: 64 }),
          '*': Type.String({ maxLength: 1024 }),
        }),
      },
    },
    async (request, reply) => {
      await requireServerAdmin(s, request);
      const { source, file } = await findBackupFile(s, request.params.backupId, request.params['*']);
      return sendStoredFile(request, reply, {
        source,
        sha256: file.sha256,
        contentType: 'application/octet-stream',
      });
    },
  );
