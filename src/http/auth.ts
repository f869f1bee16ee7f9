// Who is calling: bearer token → caller, and the role checks routes ask for.
import type { FastifyRequest } from 'fastify';
import { authenticate, type Caller } from '../ceremony/auth.js';
import { requireParticipant } from '../ceremony/participants.js';
import type { Services } from '../ceremony/services.js';
import type { Participant } from '../ceremony/types.js';
import { CeremonyError } from '../errors.js';

export async function callerOf(s: Services, request: FastifyRequest): Promise<Caller> {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+([A-Za-z0-9_-]{16,128})$/.exec(header) : null;
  if (!match?.[1])
    throw new CeremonyError('UNAUTHENTICATED', 'send Authorization: Bearer <token> from POST /v1/auth/login');
  return authenticate(s, match[1]);
}

export async function requireCoordinator(s: Services, request: FastifyRequest): Promise<Caller> {
  const caller = await callerOf(s, request);
  if (!caller.coordinator) throw new CeremonyError('FORBIDDEN', 'this action needs a coordinator key');
  return caller;
}

export async function participantOf(
  s: Services,
  request: FastifyRequest,
  ceremonyId: string,
): Promise<Participant> {
  const caller = await callerOf(s, request);
  return requireParticipant(s.db, ceremonyId, caller.publicKey);
}
