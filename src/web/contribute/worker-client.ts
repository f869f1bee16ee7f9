// The browser side of the contribution's plumbing: the worker that runs snarkjs, hashing, and the coordinator's
// error answers. The page's session (session.ts) holds the flow.
import { toHex } from '../../crypto/hex.js';
import type { ContributeReply, ContributeRequest } from './worker.js';

/** An answer from the coordinator that is an error: its catalogue code, and its message for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Runs snarkjs in the contribution worker; the worker is ended afterwards, its memory with it. */
export function computeContribution(
  zkey: ArrayBuffer,
  name: string,
  entropy: string,
): Promise<{ zkey: ArrayBuffer; contributionHash: string; ms: number }> {
  const worker = new Worker('/assets/contribute-worker.js', { type: 'module', name: 'contribute' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<ContributeReply>) => {
      worker.terminate();
      const reply = event.data;
      if (reply.ok) resolve(reply);
      else reject(new Error(`the contribution failed: ${reply.error}`));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`the contribution worker failed: ${event.message}`));
    };
    const request: ContributeRequest = { zkey, name, entropy };
    worker.postMessage(request, [zkey]);
  });
}

export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
}

export function base64Utf8(text: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function parseJson(text: string): unknown {
  try {
    return text.length === 0 ? {} : JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function toApiError(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${status}`;
  const message = typeof error?.message === 'string' ? error.message : `the server answered HTTP ${status}`;
  return new ApiError(status, code, message);
}
