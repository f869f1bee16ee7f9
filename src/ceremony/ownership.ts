// Who may run a ceremony: its owner (the key that created it) and the co-coordinators the owner added.
import { parsePublicKey } from '../crypto/ed25519.js';
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import { type CeremonyRow, loadCeremony, logEntry, withCeremonyLock } from './ceremony-row.js';
import type { Services } from './services.js';

/** A key listed in the server's config, or a co-coordinator of at least one ceremony. */
export async function isCoordinatorKey(s: Services, publicKey: string): Promise<boolean> {
  if (s.config.coordinatorKeys.includes(publicKey)) return true;
  const rows = await s.db.query('SELECT 1 FROM ceremony_coordinators WHERE public_key = $1 LIMIT 1', [
    publicKey,
  ]);
  return rows.length > 0;
}

async function isCeremonyCoordinator(db: Queryable, ceremony: CeremonyRow, publicKey: string) {
  if (ceremony.coordinator_key === publicKey) return true;
  const rows = await db.query(
    'SELECT 1 FROM ceremony_coordinators WHERE ceremony_id = $1 AND public_key = $2',
    [ceremony.id, publicKey],
  );
  return rows.length > 0;
}

/** Refuses any key but the ceremony's owner and co-coordinators (404 for a ceremony that does not exist). */
export async function requireCeremonyCoordinator(
  db: Queryable,
  ceremonyId: string,
  publicKey: string,
): Promise<CeremonyRow> {
  const ceremony = await loadCeremony(db, ceremonyId);
  if (!(await isCeremonyCoordinator(db, ceremony, publicKey))) {
    throw new CeremonyError('FORBIDDEN', `only the coordinators of ceremony '${ceremonyId}' may do this`);
  }
  return ceremony;
}

/** The owner names another key a coordinator of this ceremony; logged as `coordinator.added`. */
export async function addCoordinator(
  s: Services,
  ceremonyId: string,
  ownerKey: string,
  publicKey: string,
): Promise<{ ceremony: string; publicKey: string }> {
  parsePublicKey(publicKey);
  await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    if (ceremony.coordinator_key !== ownerKey)
      throw new CeremonyError('FORBIDDEN', `only the owner of ceremony '${ceremonyId}' may add coordinators`);
    if (await isCeremonyCoordinator(tx, ceremony, publicKey))
      throw new CeremonyError('COORDINATOR_EXISTS', 'this key already coordinates the ceremony');
    await tx.query('INSERT INTO ceremony_coordinators (ceremony_id, public_key) VALUES ($1, $2)', [
      ceremonyId,
      publicKey,
    ]);
    await logEntry(tx, s, ceremonyId, 'coordinator.added', { publicKey });
  });
  return { ceremony: ceremonyId, publicKey };
}
