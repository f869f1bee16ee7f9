import { Type } from '@sinclair/typebox';
import type { Route } from '../types.js';

const WitnessList = Type.Object({
  quorum: Type.Integer({ minimum: 0 }),
  witnesses: Type.Array(Type.Object({ name: Type.String(), vkey: Type.String() })),
});

export const witnessesGet: Route = (app, s) =>
  app.get(
    '/v1/witnesses',
    {
      schema: {
        tags: ['public'],
        summary: "The coordinator's witnesses (C2SP cosigner vkeys) and the quorum it asks of them",
        response: { 200: WitnessList },
      },
    },
    async () => ({
      quorum: s.config.witnessQuorum,
      witnesses: s.config.witnesses.map((w) => ({ name: w.key.name, vkey: w.key.vkey })),
    }),
  );
