import { Type } from '@sinclair/typebox';
import { uploadOffset } from '../../uploads/upload-offset.js';
import { participantOf } from '../auth.js';
import { CircuitParams, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const contributionUploadOffset: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/circuits/:name/contribution/upload',
    {
      schema: {
        tags: ['participant'],
        summary: 'Bytes the server holds of your cut upload in this turn: resume the upload from there',
        params: CircuitParams,
        response: {
          200: Type.Object({ circuit: Type.String(), offset: Type.Integer({ minimum: 0 }) }),
          409: ErrorBody,
        },
      },
    },
    async (request) =>
      uploadOffset(s, await participantOf(s, request, request.params.id), request.params.name),
  );
