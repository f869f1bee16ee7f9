import { Type } from '@sinclair/typebox';
import { getContribution } from '../../ceremony/contributions.js';
import { MAX_ID_LENGTH } from '../../limits.js';
import { ContributionView, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const contributionGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/contributions/:contributionId',
    {
      schema: {
        tags: ['participant'],
        summary: 'Verdict of a contribution; once accepted, its receipt',
        params: Type.Object({
          id: Type.String({ maxLength: MAX_ID_LENGTH }),
          contributionId: Type.String({ maxLength: 64 }),
        }),
        response: { 200: ContributionView, 404: ErrorBody },
      },
    },
    async (request) => getContribution(s, request.params.id, request.params.contributionId),
  );
