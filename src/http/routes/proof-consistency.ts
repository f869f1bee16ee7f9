import { Type } from '@sinclair/typebox';
import * as q from '../../db/queries/transcript.js';
import { CeremonyError } from '../../errors.js';
import { MAX_ID_LENGTH } from '../../limits.js';
import { proveConsistency } from '../../transcript/log.js';
import { ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const proofConsistency: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/proof/consistency',
    {
      schema: {
        tags: ['public'],
        summary: 'RFC 9162 consistency proof between two tree sizes',
        params: Type.Object({ id: Type.String({ maxLength: MAX_ID_LENGTH }) }),
        querystring: Type.Object({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Object({ proof: Type.Array(Type.String()) }), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      const head = await q.selectLatestCheckpoint(s.db, request.params.id);
      if (!head || to > head.tree_size)
        throw new CeremonyError('NOT_FOUND', `no checkpoint covers a tree of size ${to}`);
      if (from > to) throw new CeremonyError('BAD_REQUEST', `from (${from}) must not exceed to (${to})`);
      return { proof: await proveConsistency(s.db, request.params.id, from, to) };
    },
  );
