// Who may run a ceremony: its owner (the key that created it) and the co-coordinators added or removed later.
import { parsePublicKey } from '../crypto/ed25519.js';
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';
import { type CeremonyRow, loadCeremony, logEntry, withCeremonyLock } from './ceremony-row.js';
import type { Services } from './services.js';
import { revokeTokensOf } from './standing.js';

/** A key listed in the server's config, or a co-coordinator of at least one ceremony. */
export async function isCoordinatorKey(s: Services, publicKey: string): Promise<boolean> {
  if (s.config.coordinatorKeys.includes(publicKey)) return true;
  const rows = await s.db.query('SELECT 1 FROM ceremony_coordinators WHERE public_key = $1 LIMIT 1', [
    publicKey,
  ]);
  return rows.length > 0;
}

export async function isCeremonyCoordinator(db: Queryable, ceremony: CeremonyRow, publicKey: string) {
  if (ceremony.coordinator_key === publicKey) return true;
  const rows = await db.query(
    'SELECT 1 FROM ceremony_coordinators WHERE ceremony_id = $1 AND public_key = $2',
    [ceremony.id, publicKey],
  );
  return rows.length > 0;
}

/** The owner and every co-coordinator: the keys whose approvals count. */
export async function countCeremonyCoordinators(db: Queryable, ceremonyId: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM ceremony_coordinators WHERE ceremony_id = $1',
    [ceremonyId],
  );
  return 1 + (row?.n ?? 0);
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

/** An act that needs M approvals may not be taken by one coordinator alone. */
export function refuseWithoutApprovals(ceremony: CeremonyRow, action: string): void {
  if (ceremony.approvals_required > 1)
    throw new CeremonyError(
      'APPROVALS_REQUIRED',
      `ceremony '${ceremony.id}' needs ${ceremony.approvals_required} coordinators to approve ${action}: ` +
        'each signs the request (ceremony admin …, POST /v1/ceremonies/:id/approvals)',
    );
}

function requireOwner(ceremony: CeremonyRow, callerKey: string, what: string): void {
  if (ceremony.coordinator_key !== callerKey)
    throw new CeremonyError('FORBIDDEN', `only the owner of ceremony '${ceremony.id}' may ${what}`);
}

export async function requireAddableCoordinator(tx: Queryable, ceremony: CeremonyRow, publicKey: string) {
  parsePublicKey(publicKey);
  if (await isCeremonyCoordinator(tx, ceremony, publicKey))
    throw new CeremonyError('COORDINATOR_EXISTS', 'this key already coordinates the ceremony');
}

/** Logged as `coordinator.added`, with the approvals' seq when a quorum decided it. */
export async function insertCoordinator(
  tx: Queryable,
  s: Services,
  ceremony: CeremonyRow,
  publicKey: string,
  approvals?: number[],
): Promise<void> {
  await requireAddableCoordinator(tx, ceremony, publicKey);
  await tx.query('INSERT INTO ceremony_coordinators (ceremony_id, public_key) VALUES ($1, $2)', [
    ceremony.id,
    publicKey,
  ]);
  await logEntry(
    tx,
    s,
    ceremony.id,
    'coordinator.added',
    approvals ? { publicKey, approvals } : { publicKey },
  );
}

export async function requireRemovableCoordinator(tx: Queryable, ceremony: CeremonyRow, publicKey: string) {
  if (publicKey === ceremony.coordinator_key)
    throw new CeremonyError('WRONG_STATE', `the owner of ceremony '${ceremony.id}' cannot be removed`);
  if (!(await isCeremonyCoordinator(tx, ceremony, publicKey)))
    throw new CeremonyError('NOT_FOUND', 'this key is not a co-coordinator of the ceremony');
  const count = await countCeremonyCoordinators(tx, ceremony.id);
  if (count - 1 < ceremony.approvals_required)
    throw new CeremonyError(
      'WRONG_STATE',
      `removing this key would leave ${count - 1} coordinators, fewer than the ${ceremony.approvals_required} approvals the ceremony needs`,
    );
}

/**
 * Logged as `coordinator.removed`: the key stops coordinating at once (its sessions end, its pending approvals are
 * dropped).
 */
export async function deleteCoordinator(
  tx: Queryable,
  s: Services,
  ceremony: CeremonyRow,
  publicKey: string,
  approvals?: number[],
): Promise<void> {
  await requireRemovableCoordinator(tx, ceremony, publicKey);
  await tx.query('DELETE FROM ceremony_coordinators WHERE ceremony_id = $1 AND public_key = $2', [
    ceremony.id,
    publicKey,
  ]);
  await tx.query('DELETE FROM pending_approvals WHERE ceremony_id = $1 AND public_key = $2', [
    ceremony.id,
    publicKey,
  ]);
  // A key still trusted by the server's config keeps its sessions; any other loses them with its role.
  if (!s.config.coordinatorKeys.includes(publicKey)) await revokeTokensOf(tx, publicKey);
  await logEntry(
    tx,
    s,
    ceremony.id,
    'coordinator.removed',
    approvals ? { publicKey, approvals } : { publicKey },
  );
}

/** The owner names another key a coordinator of this ceremony (one approval suffices). */
export async function addCoordinator(
  s: Services,
  ceremonyId: string,
  ownerKey: string,
  publicKey: string,
): Promise<{ ceremony: string; publicKey: string }> {
  parsePublicKey(publicKey);
  await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    requireOwner(ceremony, ownerKey, 'add coordinators');
    refuseWithoutApprovals(ceremony, 'add-coordinator');
    await insertCoordinator(tx, s, ceremony, publicKey);
  });
  return { ceremony: ceremonyId, publicKey };
}

/** The owner removes a co-coordinator (one approval suffices); its sessions end at once. */
export async function removeCoordinator(
  s: Services,
  ceremonyId: string,
  ownerKey: string,
  publicKey: string,
): Promise<{ ceremony: string; publicKey: string }> {
  await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    requireOwner(ceremony, ownerKey, 'remove coordinators');
    refuseWithoutApprovals(ceremony, 'remove-coordinator');
    await deleteCoordinator(tx, s, ceremony, publicKey);
  });
  s.callers.evictKey(publicKey);
  return { ceremony: ceremonyId, publicKey };
}
