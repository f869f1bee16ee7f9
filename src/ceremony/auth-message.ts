// The login message both sides build: `ceremony-auth/v2\n<origin>\n<nonce>`, and the client's check of the origin.

export const AUTH_VERSION = 'ceremony-auth/v2';

/** The bytes a client signs to log in: naming the origin stops a hostile server relaying another's challenge. */
export function authMessage(origin: string, nonce: string): Uint8Array {
  if (typeof origin !== 'string' || origin.length === 0 || origin.includes('\n'))
    throw new TypeError('authMessage: expected a one-line, non-empty origin');
  if (typeof nonce !== 'string' || nonce.length === 0 || nonce.includes('\n'))
    throw new TypeError('authMessage: expected a one-line, non-empty nonce');
  return new TextEncoder().encode(`${AUTH_VERSION}\n${origin}\n${nonce}`);
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * The origin a client may sign for when it talks to `serverUrl`: the URL's host name (or host:port). A server on
 * the client's own machine (loopback) is trusted to name itself, since it cannot be relaying someone else's.
 * Returns undefined when the announced origin must be refused.
 */
export function acceptableOrigin(serverUrl: string, announced: string): string | undefined {
  const url = new URL(serverUrl);
  if (LOOPBACK.test(url.hostname)) return announced;
  return announced === url.hostname || announced === url.host ? announced : undefined;
}
