// Raw HTTP calls for tests: what any client would send, with no CLI code in between.
import { type KeyPair, sign } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  options: {
    token?: string;
    json?: unknown;
    body?: RequestInit['body'];
    headers?: Record<string, string>;
  } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('application/json')) parsed = JSON.parse(text);
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** A login challenge for this key, and the ceremony-auth/v2 message (over the origin the server names) to sign. */
export async function loginChallenge(
  url: string,
  keys: KeyPair,
): Promise<{ publicKey: string; nonce: string; message: Uint8Array }> {
  const publicKey = toHex(keys.publicKey);
  const challenge = await call<{ nonce: string; origin: string }>(url, 'POST', '/v1/auth/challenge', {
    json: { publicKey },
  });
  if (challenge.status !== 200) throw new Error(`challenge failed: ${JSON.stringify(challenge.body)}`);
  const { nonce, origin } = challenge.body;
  return { publicKey, nonce, message: new TextEncoder().encode(`ceremony-auth/v2\n${origin}\n${nonce}`) };
}

/** Challenge and login as any client would. */
export async function tryLogin(
  url: string,
  keys: KeyPair,
  register?: { ceremony: string; name: string },
): Promise<ApiAnswer<{ token: string; coordinator: boolean; error?: { code: string } }>> {
  const { publicKey, nonce, message } = await loginChallenge(url, keys);
  const signature = toHex(sign(message, keys.secretKey));
  return call(url, 'POST', '/v1/auth/login', {
    json: { publicKey, nonce, signature, ...(register ? { register } : {}) },
  });
}

export async function loginAs(
  url: string,
  keys: KeyPair,
  register?: { ceremony: string; name: string },
): Promise<string> {
  const login = await tryLogin(url, keys, register);
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  return login.body.token;
}
