import { Type } from '@sinclair/typebox';
import { CeremonyError } from '../../errors.js';
import { CeremonyId, CircuitName } from '../schemas.js';
import { sendStoredFile } from '../send-file.js';
import type { Route } from '../types.js';

export const zkeyGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/circuits/:name/zkeys/:index',
    {
      schema: {
        tags: ['public'],
        summary:
          'The zkey after contribution `index` (0 = initial, `latest`, `final`); ETag = SHA-256; Range supported',
        params: Type.Object({
          id: CeremonyId,
          name: CircuitName,
          index: Type.String({ pattern: '^(\\d{1,9}|latest|final)$' }),
        }),
      },
    },
    async (request, reply) => {
      const { id, name, index } = request.params;
      const [circuit] = await s.db.query<{
        initial_zkey_sha256: string | null;
        latest_zkey_sha256: string | null;
        final_zkey_sha256: string | null;
        contribution_index: number;
      }>(
        'SELECT initial_zkey_sha256, latest_zkey_sha256, final_zkey_sha256, contribution_index FROM circuits WHERE ceremony_id = $1 AND name = $2',
        [id, name],
      );
      if (!circuit) throw new CeremonyError('NOT_FOUND', `no circuit '${name}' in ceremony '${id}'`);
      let sha256: string | null;
      let label = index;
      if (index === 'latest') {
        sha256 = circuit.latest_zkey_sha256;
        label = String(circuit.contribution_index);
      } else if (index === 'final') {
        sha256 = circuit.final_zkey_sha256;
      } else if (index === '0') {
        sha256 = circuit.initial_zkey_sha256;
      } else {
        const [row] = await s.db.query<{ zkey_sha256: string }>(
          `SELECT zkey_sha256 FROM contributions WHERE ceremony_id = $1 AND circuit_name = $2 AND idx = $3 AND state = 'accepted'`,
          [id, name, Number(index)],
        );
        sha256 = row?.zkey_sha256 ?? null;
      }
      if (!sha256) throw new CeremonyError('NOT_FOUND', `no zkey '${index}' for circuit '${name}'`);
      reply.header('X-Contribution-Index', label);
      return sendStoredFile(request, reply, {
        path: s.store.pathOf(sha256),
        sha256,
        contentType: 'application/octet-stream',
        downloadName: `${id}-${name}-${label}.zkey`,
        mutable: index === 'latest',
      });
    },
  );
