import { Type } from '@sinclair/typebox';
import { removeBackup } from '../../backup/create.js';
import { requireServerAdmin } from '../auth.js';
import { ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const adminBackupDelete: Route = (app, s) =>
  app.delete(
    '/v1/admin/backups/:backupId',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'Drop a staged backup once its files are fetched',
        params: Type.Object({ backupId: Type.String({ maxLength: 64 }) }),
        response: { 200: Type.Object({ backupId: Type.String() }), 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      await requireServerAdmin(s, request);
      await removeBackup(s, request.params.backupId);
      return { backupId: request.params.backupId };
    },
  );
