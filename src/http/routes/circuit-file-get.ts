import { Type } from '@sinclair/typebox';
import { CeremonyError } from '../../errors.js';
import { CeremonyId, CircuitName } from '../schemas.js';
import { sendStoredFile } from '../send-file.js';
import type { Route } from '../types.js';

const columns = {
  r1cs: { column: 'r1cs_sha256', type: 'application/octet-stream' },
  ptau: { column: 'ptau_sha256', type: 'application/octet-stream' },
  'verification_key.json': { column: 'verification_key_sha256', type: 'application/json' },
  'verifier.sol': { column: 'verifier_sol_sha256', type: 'text/plain; charset=utf-8' },
} as const;

export const circuitFileGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/circuits/:name/:file',
    {
      schema: {
        tags: ['public'],
        summary:
          'The circuit inputs (r1cs, ptau) and, once finalized, outputs (verification_key.json, verifier.sol)',
        params: Type.Object({
          id: CeremonyId,
          name: CircuitName,
          file: Type.Union(Object.keys(columns).map((k) => Type.Literal(k))),
        }),
      },
    },
    async (request, reply) => {
      const { id, name } = request.params;
      const spec = columns[request.params.file as keyof typeof columns];
      const [row] = await s.db.query<{ sha256: string | null }>(
        `SELECT ${spec.column} AS sha256 FROM circuits WHERE ceremony_id = $1 AND name = $2`,
        [id, name],
      );
      if (!row) throw new CeremonyError('NOT_FOUND', `no circuit '${name}' in ceremony '${id}'`);
      if (!row.sha256)
        throw new CeremonyError('NOT_FOUND', `${request.params.file} exists once the ceremony is finalized`);
      return sendStoredFile(request, reply, {
        path: s.store.pathOf(row.sha256),
        sha256: row.sha256,
        contentType: spec.type,
        downloadName:
          request.params.file === 'r1cs' || request.params.file === 'ptau'
            ? `${name}.${request.params.file}`
            : request.params.file,
      });
    },
  );
