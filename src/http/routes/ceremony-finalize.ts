import { Type } from '@sinclair/typebox';
import { requestFinalize } from '../../ceremony/finalize.js';
import {
  BEACON_HEX_SOURCE,
  MAX_BEACON_SOURCE_LENGTH,
  MAX_ITERATIONS_EXP,
  MIN_ITERATIONS_EXP,
} from '../../limits.js';
import { requireCoordinator } from '../auth.js';
import { CeremonyParams, CeremonyView, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const ceremonyFinalize: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/finalize',
    {
      schema: {
        tags: ['coordinator'],
        summary:
          'Close the round if open, then apply the beacon, export the outputs and finalize (background job)',
        params: CeremonyParams,
        body: Type.Object({
          beaconHex: Type.String({ pattern: BEACON_HEX_SOURCE }),
          beaconSource: Type.String({ minLength: 1, maxLength: MAX_BEACON_SOURCE_LENGTH }),
          iterationsExp: Type.Integer({ minimum: MIN_ITERATIONS_EXP, maximum: MAX_ITERATIONS_EXP }),
        }),
        response: { 202: CeremonyView, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      await requireCoordinator(s, request);
      return reply.status(202).send(await requestFinalize(s, request.params.id, request.body));
    },
  );
