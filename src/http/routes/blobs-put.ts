import { Type } from '@sinclair/typebox';
import { measureUpload } from '../../ceremony/metrics.js';
import { requireCoordinator } from '../auth.js';
import { ErrorBody } from '../schemas.js';
import { streamBodyOf } from '../stream-body.js';
import type { Route } from '../types.js';

export const blobsPut: Route = (app, s) =>
  app.put(
    '/v1/blobs',
    {
      config: { rateLimit: 'upload', streamsBody: true },
      schema: {
        tags: ['coordinator'],
        summary: 'Upload an r1cs or ptau file (streamed, stored under its SHA-256)',
        response: {
          201: Type.Object({ sha256: Type.String(), size: Type.Integer() }),
          403: ErrorBody,
          413: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      await requireCoordinator(s, request);
      const length = request.headers['content-length'];
      const stored = await measureUpload(
        s.metrics,
        'blob',
        s.store.put(streamBodyOf(request), {
          maxBytes: s.config.maxBlobBytes,
          expectedBytes: length === undefined ? undefined : Number(length),
        }),
      );
      return reply.status(201).send({ sha256: stored.sha256, size: stored.size });
    },
  );
