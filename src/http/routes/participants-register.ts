import { Type } from '@sinclair/typebox';
import { registerParticipant } from '../../ceremony/participants.js';
import { MAX_PARTICIPANT_NAME_LENGTH } from '../../limits.js';
import { callerOf } from '../auth.js';
import { CeremonyParams, ErrorBody, ParticipantView } from '../schemas.js';
import type { Route } from '../types.js';

export const participantsRegister: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/register',
    {
      schema: {
        tags: ['participant'],
        summary: 'Register yourself (ceremonies with open registration only)',
        params: CeremonyParams,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: MAX_PARTICIPANT_NAME_LENGTH }) }),
        response: { 201: ParticipantView, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const caller = await callerOf(s, request);
      const p = await registerParticipant(
        s,
        request.params.id,
        { name: request.body.name, publicKey: caller.publicKey },
        true,
      );
      return reply.status(201).send({ participantId: p.participantId, name: p.name, publicKey: p.publicKey });
    },
  );
