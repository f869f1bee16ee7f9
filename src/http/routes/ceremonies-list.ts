import { Type } from '@sinclair/typebox';
import { listCeremonyIds } from '../../ceremony/ceremonies.js';
import { CeremonyView } from '../schemas.js';
import type { Route } from '../types.js';

export const ceremoniesList: Route = (app, s) =>
  app.get(
    '/v1/ceremonies',
    {
      schema: {
        tags: ['public'],
        summary: 'Every ceremony, by id',
        response: { 200: Type.Object({ ceremonies: Type.Array(CeremonyView) }) },
      },
    },
    async () => ({
      ceremonies: await Promise.all((await listCeremonyIds(s.db)).map((id) => s.board.view(id))),
    }),
  );
