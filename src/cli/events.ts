// Waiting for the ceremony to change: the events stream (Server-Sent Events) when the server gives one, polling
// when it does not (refused at its connection bound, cut by a proxy, a coordinator restart).
import { sleep } from './client.js';

/** While the stream is live, still look every so often: a change the stream missed must not strand a participant. */
const LIVE_SAFETY_MS = 30_000;
/** After the stream failed, poll this long before trying it again. */
const RECONNECT_MS = 10_000;

export interface ChangeWatch {
  /** Resolves after the next change (stream live) or one poll interval (stream down). */
  next(): Promise<void>;
  /** True while the events stream is open. */
  readonly live: boolean;
  close(): void;
}

export interface ChangeWatchOptions {
  /** Absolute URL of `GET /v1/ceremonies/:id/events`. */
  url: string;
  pollIntervalMs: number;
  /** Told why the wait falls back to polling, once per outage of the stream. */
  onFallback?: (reason: string) => void;
}

/** Follows the events stream; `next()` wakes on each `ceremony` event, or polls while the stream is down. */
export function watchChanges(opts: ChangeWatchOptions): ChangeWatch {
  if (typeof opts?.url !== 'string') throw new TypeError('watchChanges: url is required');
  let live = false;
  let closed = false;
  let pending = 0;
  let wake: (() => void) | undefined;
  let abort: AbortController | undefined;
  let retryAt = 0;
  // Said once per outage of the stream, not at every failed reconnect.
  let told = false;

  const signal = () => {
    pending += 1;
    wake?.();
  };
  const fail = (reason: string) => {
    if (closed) return;
    live = false;
    retryAt = Date.now() + RECONNECT_MS;
    if (!told) opts.onFallback?.(reason);
    told = true;
    wake?.();
  };
  const connect = () => {
    abort = new AbortController();
    const controller = abort;
    void follow(opts.url, controller.signal, () => {
      live = true;
      told = false;
      signal();
    }).then(
      (reason) => {
        if (!controller.signal.aborted) fail(reason);
      },
      (err: Error) => {
        if (!controller.signal.aborted) fail(err.message);
      },
    );
  };
  connect();

  return {
    get live() {
      return live;
    },
    async next() {
      if (closed) throw new Error('watchChanges: closed');
      if (!live && Date.now() >= retryAt && retryAt !== 0) {
        retryAt = 0;
        connect();
      }
      if (pending > 0) {
        pending = 0;
        return;
      }
      const wait = live ? LIVE_SAFETY_MS : opts.pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      // Woken by a failure with no change: poll after the usual pause rather than at once, again and again.
      if (pending === 0 && !live) await sleep(Math.min(opts.pollIntervalMs, 1000));
      pending = 0;
    },
    close() {
      closed = true;
      abort?.abort();
      wake?.();
    },
  };
}

/** Reads the stream until it ends; calls `onEvent` per `ceremony` event; returns why it stopped. */
async function follow(url: string, signal: AbortSignal, onEvent: () => void): Promise<string> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal });
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    return `the events stream answered HTTP ${response.status}`;
  }
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true }).replace(/\r\n?/g, '\n');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (/^event: ceremony$/m.test(block)) onEvent();
    }
    // A server that never ends a message must not grow our memory without bound.
    if (buffer.length > 4 * 1024 * 1024) return 'the events stream sent an oversized message';
  }
  return 'the events stream ended';
}
