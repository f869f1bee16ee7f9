import { createBackup } from '../../backup/create.js';
import { BackupManifestSchema } from '../../backup/manifest.js';
import { requireServerAdmin } from '../auth.js';
import { ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const adminBackupCreate: Route = (app, s) =>
  app.post(
    '/v1/admin/backups',
    {
      schema: {
        tags: ['coordinator'],
        summary:
          'Stage a backup while serving: one database snapshot and every data-dir and published file; fetch each file, then DELETE it',
        response: { 201: BackupManifestSchema, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      await requireServerAdmin(s, request);
      return reply.status(201).send(await createBackup(s));
    },
  );
