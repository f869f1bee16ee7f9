// The page's reads of the public API (same origin), and the live view by Server-Sent Events.
import type { CeremonyView } from '../ceremony/types.js';

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    const body = (await response.json().catch(() => undefined)) as
      | { error?: { message?: string } }
      | undefined;
    throw new Error(body?.error?.message ?? `GET ${path} answered ${response.status}`);
  }
  return (await response.json()) as T;
}

export async function getText(path: string): Promise<string> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return response.text();
}

export const ceremonyPath = (id: string, rest = '') => `/v1/ceremonies/${encodeURIComponent(id)}${rest}`;

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

/** Follows GET /v1/ceremonies/:id/events; the browser reconnects by itself (sending Last-Event-ID). */
export function watchCeremony(
  id: string,
  onView: (view: CeremonyView) => void,
  onStatus: (status: LiveStatus) => void,
): () => void {
  const source = new EventSource(ceremonyPath(id, '/events'));
  onStatus('connecting');
  source.addEventListener('open', () => onStatus('live'));
  source.addEventListener('error', () => onStatus('reconnecting'));
  source.addEventListener('ceremony', (event) => {
    onStatus('live');
    onView(JSON.parse((event as MessageEvent<string>).data) as CeremonyView);
  });
  return () => source.close();
}
