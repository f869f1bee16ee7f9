// Registering participants: allowlisted by the coordinator, or self-registered when the ceremony is open to all.
import { parsePublicKey } from '../crypto/ed25519.js';
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import { MAX_PARTICIPANT_NAME_LENGTH } from '../limits.js';
import { requireDisplayText } from '../names.js';
import { loadCeremony, logEntry, requireState, withCeremonyLock } from './ceremony-row.js';
import type { Services } from './services.js';
import { refuseRevoked } from './standing.js';
import type { Participant } from './types.js';

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_PARTICIPANT_NAME_LENGTH) {
    throw new CeremonyError(
      'BAD_REQUEST',
      `participant name must be 1-${MAX_PARTICIPANT_NAME_LENGTH} printable characters`,
    );
  }
  return requireDisplayText('participant name', trimmed);
}

export async function registerParticipant(
  s: Services,
  ceremonyId: string,
  input: { name: string; publicKey: string },
  selfRegistration = false,
): Promise<Participant> {
  const name = checkName(input.name);
  parsePublicKey(input.publicKey);
  return withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['draft', 'open'], 'register a participant');
    if (selfRegistration && !ceremony.open_registration) {
      throw new CeremonyError('FORBIDDEN', `ceremony '${ceremonyId}' takes allowlisted participants only`);
    }
    const taken = await tx.query('SELECT 1 FROM participants WHERE ceremony_id = $1 AND public_key = $2', [
      ceremonyId,
      input.publicKey,
    ]);
    if (taken.length > 0)
      throw new CeremonyError('PARTICIPANT_EXISTS', 'this public key is already registered');
    // A counter kept on the ceremony (migration 004), not a count of the participants: the same cost at any size.
    const [count] = await tx.query<{ n: number }>(
      `UPDATE ceremonies SET participants_registered = participants_registered + 1 WHERE id = $1
       RETURNING participants_registered AS n`,
      [ceremonyId],
    );
    const participantId = `p${count?.n ?? 1}`;
    await tx.query(
      'INSERT INTO participants (ceremony_id, participant_id, name, public_key) VALUES ($1, $2, $3, $4)',
      [ceremonyId, participantId, name, input.publicKey],
    );
    await logEntry(tx, s, ceremonyId, 'participant.registered', {
      participantId,
      name,
      publicKey: input.publicKey,
    });
    return { ceremonyId, participantId, name, publicKey: input.publicKey };
  });
}

export async function findParticipantByKey(
  db: Queryable,
  ceremonyId: string,
  publicKey: string,
): Promise<Participant | undefined> {
  const rows = await db.query<{ participant_id: string; name: string; public_key: string }>(
    'SELECT participant_id, name, public_key FROM participants WHERE ceremony_id = $1 AND public_key = $2',
    [ceremonyId, publicKey],
  );
  const row = rows[0];
  return row && { ceremonyId, participantId: row.participant_id, name: row.name, publicKey: row.public_key };
}

export async function requireParticipant(
  db: Queryable,
  ceremonyId: string,
  publicKey: string,
): Promise<Participant> {
  await loadCeremony(db, ceremonyId);
  const participant = await findParticipantByKey(db, ceremonyId, publicKey);
  if (!participant)
    throw new CeremonyError('FORBIDDEN', `this key is not a participant of ceremony '${ceremonyId}'`);
  await refuseRevoked(db, participant);
  return participant;
}
