// Who is calling: bearer token → caller (charged to the route's per-key budget), and the role checks routes ask for.
import type { FastifyRequest } from 'fastify';
import { authenticate, authenticateCached, type Caller } from '../ceremony/auth.js';
import { requireCeremonyCoordinator } from '../ceremony/ownership.js';
import { requireParticipant } from '../ceremony/participants.js';
import type { Services } from '../ceremony/services.js';
import type { Participant } from '../ceremony/types.js';
import { CeremonyError } from '../errors.js';
import { chargeKey } from './rate-limit.js';

export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+([A-Za-z0-9_-]{16,128})$/.exec(header) : null;
  if (!match?.[1])
    throw new CeremonyError('UNAUTHENTICATED', 'send Authorization: Bearer <token> from POST /v1/auth/login');
  return match[1];
}

export async function callerOf(s: Services, request: FastifyRequest): Promise<Caller> {
  const caller = await authenticate(s, bearerToken(request));
  chargeKey(request, caller.publicKey);
  return caller;
}

/** A key from the server's config: the only ones that may create ceremonies. */
export async function requireConfiguredCoordinator(s: Services, request: FastifyRequest): Promise<Caller> {
  const caller = await callerOf(s, request);
  if (!caller.configured) throw new CeremonyError('FORBIDDEN', 'this action needs a coordinator key');
  return caller;
}

/**
 * A key from the server's config, for what reaches beyond one ceremony (backups hold every ceremony's rows): a
 * co-coordinator of a ceremony is not enough.
 */
export async function requireServerAdmin(s: Services, request: FastifyRequest): Promise<Caller> {
  const caller = await callerOf(s, request);
  if (!caller.configured)
    throw new CeremonyError('FORBIDDEN', 'this action needs a key from the server configuration');
  return caller;
}

/** Any coordinator key (configured, or co-coordinator of some ceremony). */
export async function requireCoordinator(s: Services, request: FastifyRequest): Promise<Caller> {
  const caller = await callerOf(s, request);
  if (!caller.coordinator) throw new CeremonyError('FORBIDDEN', 'this action needs a coordinator key');
  return caller;
}

/** The ceremony's owner or one of its co-coordinators. */
export async function requireCeremonyCoordinatorOf(
  s: Services,
  request: FastifyRequest,
  ceremonyId: string,
): Promise<Caller> {
  const caller = await callerOf(s, request);
  await requireCeremonyCoordinator(s.db, ceremonyId, caller.publicKey);
  return caller;
}

/**
 * The caller as a participant, read from the status board (no database read beyond the token): for the routes many
 * participants repeat (their status, heartbeats). Writes that change the queue use `participantOf`.
 */
export async function participantOnBoard(
  s: Services,
  request: FastifyRequest,
  ceremonyId: string,
): Promise<Participant> {
  const caller = await authenticateCached(s, bearerToken(request));
  chargeKey(request, caller.publicKey);
  const p = await s.board.participantByKey(ceremonyId, caller.publicKey);
  return { ceremonyId, participantId: p.participantId, name: p.name, publicKey: p.publicKey };
}

export async function participantOf(
  s: Services,
  request: FastifyRequest,
  ceremonyId: string,
): Promise<Participant> {
  const caller = await callerOf(s, request);
  return requireParticipant(s.db, ceremonyId, caller.publicKey);
}
