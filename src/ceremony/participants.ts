// Registering participants: allowlisted by the coordinator, or self-registered when the ceremony is open to all.
import { parsePublicKey } from '../crypto/ed25519.js';
import { CeremonyError } from '../errors.js';
import { requireDisplayText } from '../names.js';
import { logEntry, requireState, type Services, withCeremonyLock } from './services.js';
import type { Participant } from './types.js';

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100) {
    throw new CeremonyError('BAD_REQUEST', 'participant name must be 1-100 printable characters');
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
    const [count] = await tx.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM participants WHERE ceremony_id = $1',
      [ceremonyId],
    );
    const participantId = `p${(count?.n ?? 0) + 1}`;
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
