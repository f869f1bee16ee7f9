// Hostile upload traffic for tests: requests that announce a body, send part of it, then stall.
import { request } from 'node:http';

export interface StalledUpload {
  /** Resolves with the answer's status, or 0 when the server closed the connection without answering. */
  answered: Promise<{ status: number; code: string | undefined; message?: string | undefined }>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
  /** Sends more bytes (to keep an idle timer from biting). */
  trickle(bytes: number): void;
  destroy(): void;
}

export function openStalledUpload(
  url: string,
  path: string,
  headers: Record<string, string>,
  announced: number,
  sent: number,
): StalledUpload {
  const req = request(`${url}${path}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(announced) },
  });
  const closed = new Promise<void>((resolve) => {
    req.on('socket', (socket) => socket.once('close', () => resolve()));
  });
  const answered = new Promise<{ status: number; code: string | undefined; message?: string }>((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        let error: { code?: string; message?: string } | undefined;
        try {
          error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
        } catch {
          error = undefined;
        }
        resolve({ status: res.statusCode ?? 0, code: error?.code, message: error?.message });
      });
      res.on('error', () => resolve({ status: res.statusCode ?? 0, code: undefined }));
    });
    req.on('error', () => resolve({ status: 0, code: undefined }));
  });
  req.write(Buffer.alloc(sent, 7));
  return {
    answered,
    closed,
    trickle: (bytes) => {
      if (!req.destroyed) req.write(Buffer.alloc(bytes, 7));
    },
    destroy: () => req.destroy(),
  };
}

/** Polls `check` every 50 ms until it holds; fails after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`waitUntil: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
