import { readActivity } from '../../activity/activity.js';
import { ActivityView } from '../../activity/types.js';
import { CeremonyParams, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

export const ceremonyActivityGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/activity',
    {
      schema: {
        tags: ['public'],
        summary:
          'Turn and verification times, for the pictures on the ceremony page (newest ACTIVITY_MAX_ITEMS)',
        params: CeremonyParams,
        response: { 200: ActivityView, 404: ErrorBody },
      },
    },
    async (request) => readActivity(s, request.params.id),
  );
