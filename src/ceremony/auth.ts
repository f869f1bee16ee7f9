// Ed25519 challenge–response: single-use expiring nonces bound to this server's origin, bearer tokens stored only
// as their SHA-256, and only for keys the server knows (a coordinator, or a participant somewhere).
import { createHash, randomBytes } from 'node:crypto';
import { parsePublicKey, verifyHexSignature } from '../crypto/ed25519.js';
import { CeremonyError } from '../errors.js';
import { AUTH_VERSION, authMessage } from './auth-message.js';
import { isCoordinatorKey } from './ownership.js';
import { registerParticipant } from './participants.js';
import type { Services } from './services.js';

export interface Caller {
  publicKey: string;
  /** Listed in the server's config: may create ceremonies. */
  configured: boolean;
  /** A configured key or a co-coordinator of some ceremony: may store blobs and use coordinator commands. */
  coordinator: boolean;
}

// A key may hold a few challenges at once (parallel logins); more only fill the table.
const MAX_NONCES_PER_KEY = 4;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function issueChallenge(
  s: Services,
  publicKey: string,
): Promise<{ nonce: string; expiresAt: string; origin: string }> {
  parsePublicKey(publicKey);
  const nonce = randomBytes(32).toString('hex');
  const expiresAt = new Date(Date.now() + s.config.nonceTtlSeconds * 1000);
  await s.db.transaction(async (tx) => {
    await tx.query('INSERT INTO auth_nonces (nonce, public_key, expires_at) VALUES ($1, $2, $3)', [
      nonce,
      publicKey,
      expiresAt,
    ]);
    await tx.query(
      `DELETE FROM auth_nonces WHERE public_key = $1 AND nonce NOT IN (
         SELECT nonce FROM auth_nonces WHERE public_key = $1 ORDER BY expires_at DESC LIMIT $2)`,
      [publicKey, MAX_NONCES_PER_KEY],
    );
  });
  return { nonce, expiresAt: expiresAt.toISOString(), origin: s.signer.name };
}

export interface LoginInput {
  publicKey: string;
  nonce: string;
  signature: string;
  /** Open registration in the same step: a key unknown to the server registers in this ceremony first. */
  register?: { ceremony: string; name: string };
}

async function isKnownKey(s: Services, publicKey: string): Promise<boolean> {
  if (await isCoordinatorKey(s, publicKey)) return true;
  const rows = await s.db.query('SELECT 1 FROM participants WHERE public_key = $1 LIMIT 1', [publicKey]);
  return rows.length > 0;
}

export async function login(
  s: Services,
  input: LoginInput,
): Promise<{ token: string; expiresAt: string; coordinator: boolean }> {
  const key = parsePublicKey(input.publicKey);
  // Deleting the nonce as it is read makes it single-use even under concurrent logins.
  const [row] = await s.db.query<{ expires_at: Date }>(
    'DELETE FROM auth_nonces WHERE nonce = $1 AND public_key = $2 RETURNING expires_at',
    [input.nonce, input.publicKey],
  );
  if (!row)
    throw new CeremonyError('NONCE_UNKNOWN', 'unknown or already used nonce: request a new challenge');
  if (row.expires_at.getTime() < Date.now())
    throw new CeremonyError('NONCE_UNKNOWN', 'nonce expired: request a new challenge');
  if (!verifyHexSignature(input.signature, authMessage(s.signer.name, input.nonce), key)) {
    throw new CeremonyError(
      'INVALID_SIGNATURE',
      `signature does not verify for this public key over ${AUTH_VERSION}, origin '${s.signer.name}' and the nonce`,
    );
  }
  if (!(await isKnownKey(s, input.publicKey))) {
    if (input.register === undefined) {
      throw new CeremonyError(
        'FORBIDDEN',
        'this key is neither a coordinator nor a participant here: ask to be added, or register in a ceremony open to all',
      );
    }
    await registerParticipant(
      s,
      input.register.ceremony,
      { name: input.register.name, publicKey: input.publicKey },
      true,
    );
  }
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + s.config.tokenTtlSeconds * 1000);
  await s.db.query('INSERT INTO auth_tokens (token_sha256, public_key, expires_at) VALUES ($1, $2, $3)', [
    hashToken(token),
    input.publicKey,
    expiresAt,
  ]);
  // One key holds at most MAX_TOKENS_PER_KEY live tokens: the oldest go, so logins cannot pile up credentials.
  const ended = await s.db.query<{ token_sha256: string }>(
    `DELETE FROM auth_tokens WHERE token_sha256 IN (
       SELECT token_sha256 FROM auth_tokens WHERE public_key = $1 AND token_sha256 <> $2
       ORDER BY expires_at DESC, token_sha256 OFFSET $3)
     RETURNING token_sha256`,
    [input.publicKey, hashToken(token), s.config.maxTokensPerKey - 1],
  );
  for (const row of ended) s.callers.evict(row.token_sha256);
  return {
    token,
    expiresAt: expiresAt.toISOString(),
    coordinator: await isCoordinatorKey(s, input.publicKey),
  };
}

/**
 * `authenticate` through the caller cache (`AUTH_CACHE_SECONDS`): for the reads and heartbeats participants repeat.
 * A logout here evicts at once; a co-coordinator added meanwhile is seen by the other routes, which read the database.
 */
export async function authenticateCached(s: Services, token: string): Promise<Caller> {
  const tokenHash = hashToken(token);
  const cached = s.callers.get(tokenHash);
  if (cached !== undefined) return cached;
  return authenticate(s, token);
}

export async function authenticate(s: Services, token: string): Promise<Caller> {
  const tokenHash = hashToken(token);
  const [row] = await s.db.query<{ public_key: string; expires_at: Date; co: boolean }>(
    `SELECT t.public_key, t.expires_at,
       EXISTS (SELECT 1 FROM ceremony_coordinators c WHERE c.public_key = t.public_key) AS co
     FROM auth_tokens t WHERE t.token_sha256 = $1`,
    [tokenHash],
  );
  if (!row || row.expires_at.getTime() < Date.now()) {
    throw new CeremonyError('UNAUTHENTICATED', 'missing, unknown or expired token: log in again');
  }
  const configured = s.config.coordinatorKeys.includes(row.public_key);
  const caller = { publicKey: row.public_key, configured, coordinator: configured || row.co };
  s.callers.set(tokenHash, caller, row.expires_at.getTime());
  return caller;
}

/** Logout: the token stops working at once. */
export async function revokeToken(s: Services, token: string): Promise<void> {
  s.callers.evict(hashToken(token));
  await s.db.query('DELETE FROM auth_tokens WHERE token_sha256 = $1', [hashToken(token)]);
}

export async function purgeExpiredCredentials(s: Services): Promise<{ nonces: number; tokens: number }> {
  const nonces = await s.db.query('DELETE FROM auth_nonces WHERE expires_at < now() RETURNING 1');
  const tokens = await s.db.query('DELETE FROM auth_tokens WHERE expires_at < now() RETURNING 1');
  return { nonces: nonces.length, tokens: tokens.length };
}
