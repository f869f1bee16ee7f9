// Ed25519 challenge–response: single-use expiring nonces, bearer tokens stored only as their SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import { parsePublicKey, verifyHexSignature } from '../crypto/ed25519.js';
import { CeremonyError } from '../errors.js';
import type { Services } from './services.js';

export const AUTH_PREFIX = 'ceremony-auth/v1\n';

export interface Caller {
  publicKey: string;
  coordinator: boolean;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function issueChallenge(
  s: Services,
  publicKey: string,
): Promise<{ nonce: string; expiresAt: string }> {
  parsePublicKey(publicKey);
  const nonce = randomBytes(32).toString('hex');
  const expiresAt = new Date(Date.now() + s.config.nonceTtlSeconds * 1000);
  await s.db.query('INSERT INTO auth_nonces (nonce, public_key, expires_at) VALUES ($1, $2, $3)', [
    nonce,
    publicKey,
    expiresAt,
  ]);
  return { nonce, expiresAt: expiresAt.toISOString() };
}

export async function login(
  s: Services,
  input: { publicKey: string; nonce: string; signature: string },
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
  const message = new TextEncoder().encode(AUTH_PREFIX + input.nonce);
  if (!verifyHexSignature(input.signature, message, key)) {
    throw new CeremonyError('INVALID_SIGNATURE', 'signature does not verify for this public key and nonce');
  }
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + s.config.tokenTtlSeconds * 1000);
  await s.db.query('INSERT INTO auth_tokens (token_sha256, public_key, expires_at) VALUES ($1, $2, $3)', [
    hashToken(token),
    input.publicKey,
    expiresAt,
  ]);
  return {
    token,
    expiresAt: expiresAt.toISOString(),
    coordinator: s.config.coordinatorKeys.includes(input.publicKey),
  };
}

export async function authenticate(s: Services, token: string): Promise<Caller> {
  const [row] = await s.db.query<{ public_key: string; expires_at: Date }>(
    'SELECT public_key, expires_at FROM auth_tokens WHERE token_sha256 = $1',
    [hashToken(token)],
  );
  if (!row || row.expires_at.getTime() < Date.now()) {
    throw new CeremonyError('UNAUTHENTICATED', 'missing, unknown or expired token: log in again');
  }
  return { publicKey: row.public_key, coordinator: s.config.coordinatorKeys.includes(row.public_key) };
}

export async function purgeExpiredCredentials(s: Services): Promise<void> {
  await s.db.query('DELETE FROM auth_nonces WHERE expires_at < now()');
  await s.db.query('DELETE FROM auth_tokens WHERE expires_at < now()');
}
