import { Type } from '@sinclair/typebox';
import { revokeParticipant } from '../../ceremony/admin.js';
import { getCeremonyView } from '../../ceremony/ceremonies.js';
import { requireCeremonyCoordinatorOf } from '../auth.js';
import { CeremonyId, CeremonyView, ErrorBody, ParticipantId } from '../schemas.js';
import type { Route } from '../types.js';

export const participantRevoke: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/participants/:participantId/revoke',
    {
      schema: {
        tags: ['coordinator'],
        summary:
          'Shut a participant out: turns ended, no more queueing or uploads (logged as participant.revoked)',
        params: Type.Object({ id: CeremonyId, participantId: ParticipantId }),
        response: { 200: CeremonyView, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      await requireCeremonyCoordinatorOf(s, request, request.params.id);
      await revokeParticipant(s, request.params.id, request.params.participantId);
      return getCeremonyView(s.db, request.params.id);
    },
  );
