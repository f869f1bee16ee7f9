import { Type } from '@sinclair/typebox';
import * as q from '../../db/queries/transcript.js';
import { CeremonyError } from '../../errors.js';
import { MAX_ID_LENGTH } from '../../limits.js';
import { proveInclusion } from '../../transcript/log.js';
import { ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const proofInclusion: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/proof/inclusion',
    {
      schema: {
        tags: ['public'],
        summary: 'RFC 9162 inclusion proof of entry seq in the tree of the given size',
        params: Type.Object({ id: Type.String({ maxLength: MAX_ID_LENGTH }) }),
        querystring: Type.Object({ seq: Type.Integer({ minimum: 0 }), size: Type.Integer({ minimum: 1 }) }),
        response: {
          200: Type.Object({ leafHash: Type.String(), proof: Type.Array(Type.String()) }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const { seq, size } = request.query;
      const id = request.params.id;
      const head = await q.selectLatestCheckpoint(s.db, id);
      if (!head || size > head.tree_size)
        throw new CeremonyError('NOT_FOUND', `no checkpoint covers a tree of size ${size}`);
      if (seq >= size) throw new CeremonyError('BAD_REQUEST', `seq ${seq} is not in a tree of size ${size}`);
      const entry = await q.selectEntry(s.db, id, seq);
      if (!entry) throw new CeremonyError('NOT_FOUND', `no entry ${seq}`);
      return { leafHash: entry.leaf_hash, proof: await proveInclusion(s.db, id, seq, size) };
    },
  );
