import { Type } from '@sinclair/typebox';
import { type CircuitFile, circuitFiles, resolveCircuitFile } from '../../ceremony/published-files.js';
import { CeremonyId, CircuitName } from '../schemas.js';
import { sendStoredFile } from '../send-file.js';
import type { Route } from '../types.js';

const contentTypes: Record<CircuitFile, string> = {
  r1cs: 'application/octet-stream',
  ptau: 'application/octet-stream',
  'verification_key.json': 'application/json',
  'verifier.sol': 'text/plain; charset=utf-8',
};

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
          file: Type.Union(Object.keys(circuitFiles).map((k) => Type.Literal(k))),
        }),
      },
    },
    async (request, reply) => {
      const { id, name } = request.params;
      const file = request.params.file as CircuitFile;
      const sha256 = await resolveCircuitFile(s.db, id, name, file);
      return sendStoredFile(request, reply, {
        source: await s.store.source(sha256),
        sha256,
        contentType: contentTypes[file],
        downloadName:
          request.params.file === 'r1cs' || request.params.file === 'ptau'
            ? `${name}.${request.params.file}`
            : request.params.file,
      });
    },
  );
