import { Type } from '@sinclair/typebox';
import { registerParticipant } from '../../ceremony/participants.js';
import { MAX_PARTICIPANT_NAME_LENGTH } from '../../limits.js';
import { requireCoordinator } from '../auth.js';
import { CeremonyParams, ErrorBody, Hex32, ParticipantView } from '../schemas.js';
import type { Route } from '../types.js';

export const participantsAdd: Route = (app, s) =>
  app.post(
    '/v1/ceremonies/:id/participants',
    {
      schema: {
        tags: ['coordinator'],
        summary: 'Allowlist a participant by Ed25519 public key',
        params: CeremonyParams,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: MAX_PARTICIPANT_NAME_LENGTH }),
          publicKey: Hex32,
        }),
        response: { 201: ParticipantView, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      await requireCoordinator(s, request);
      const p = await registerParticipant(s, request.params.id, request.body);
      return reply.status(201).send({ participantId: p.participantId, name: p.name, publicKey: p.publicKey });
    },
  );
