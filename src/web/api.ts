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

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'polling' | 'missing';

/** How often the page polls when the events stream is refused (a connection bound) or unavailable. */
const POLL_MS = 5000;

/**
 * Follows GET /v1/ceremonies/:id/events; the browser reconnects by itself (sending Last-Event-ID). When the stream
 * is refused outright (429 over the connection bound, or 404), it polls the view instead.
 */
export function watchCeremony(
  id: string,
  onView: (view: CeremonyView) => void,
  onStatus: (status: LiveStatus) => void,
): () => void {
  const source = new EventSource(ceremonyPath(id, '/events'));
  let poller: ReturnType<typeof setInterval> | undefined;
  const poll = () =>
    getJson<CeremonyView>(ceremonyPath(id)).then(
      (view) => {
        onStatus('polling');
        onView(view);
      },
      () => onStatus('missing'),
    );
  onStatus('connecting');
  source.addEventListener('open', () => onStatus('live'));
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) return onStatus('reconnecting');
    if (poller === undefined) {
      void poll();
      poller = setInterval(poll, POLL_MS);
    }
  });
  source.addEventListener('ceremony', (event) => {
    onStatus('live');
    onView(JSON.parse((event as MessageEvent<string>).data) as CeremonyView);
  });
  return () => {
    source.close();
    clearInterval(poller);
  };
}
