// Server-Sent Events: the ceremony's view after each committed change, keep-alive comments while idle.
// Event `ceremony`, `id` = transcript size, `data` = the view as GET /v1/ceremonies/:id answers it.
import { getPublicCeremonyView } from '../../ceremony/ceremonies.js';
import { loadCeremony } from '../../ceremony/ceremony-row.js';
import { CeremonyError } from '../../errors.js';
import { CeremonyParams, ErrorBody } from '../schemas.js';
import type { Route } from '../types.js';

/** How long a browser waits before reconnecting after the stream drops. */
const RETRY_MS = 2000;

export const ceremonyEvents: Route = (app, s) => {
  const open = new Map<string, number>();
  const streams = new Set<() => void>();
  let total = 0;
  // Open streams never go idle, so the server would wait for them forever on close.
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });
  const release = (address: string) => {
    total -= 1;
    const left = (open.get(address) ?? 1) - 1;
    if (left === 0) open.delete(address);
    else open.set(address, left);
  };

  app.get(
    '/v1/ceremonies/:id/events',
    {
      schema: {
        tags: ['public'],
        summary:
          'Server-Sent Events: the ceremony view after each change (event `ceremony`, id = transcript size)',
        params: CeremonyParams,
        response: { 404: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      await loadCeremony(s.db, id);
      // HEAD gets the stream's headers and ends: it must not wait for events nor hold a slot.
      const headers = {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        'X-Accel-Buffering': 'no',
      };
      if (request.method === 'HEAD') {
        reply.hijack();
        reply.raw.writeHead(200, headers);
        reply.raw.end();
        return;
      }
      const address = request.ip;
      if (total >= s.config.eventsMaxConnections)
        throw new CeremonyError(
          'TOO_MANY_CONNECTIONS',
          'too many open events streams; poll GET /v1/ceremonies/:id',
        );
      if ((open.get(address) ?? 0) >= s.config.eventsMaxPerAddress)
        throw new CeremonyError('TOO_MANY_CONNECTIONS', 'too many open events streams from this address');
      total += 1;
      open.set(address, (open.get(address) ?? 0) + 1);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { ...headers, Connection: 'keep-alive' });
      raw.write(`retry: ${RETRY_MS}\n\n`);

      let closed = false;
      let sending = false;
      let again = false;
      let lastData = '';
      // Coalesces bursts: one view read at a time, and one more if changes arrived meanwhile.
      const sendView = async (): Promise<void> => {
        if (closed) return;
        if (sending) {
          again = true;
          return;
        }
        sending = true;
        try {
          do {
            again = false;
            const view = await getPublicCeremonyView(s, id);
            const data = JSON.stringify(view);
            if (!closed && data !== lastData) {
              lastData = data;
              raw.write(`id: ${view.transcriptSize}\nevent: ceremony\ndata: ${data}\n\n`);
            }
          } while (again && !closed);
        } catch (err) {
          request.log.warn({ err, ceremony: id }, 'events stream could not read the ceremony');
        } finally {
          sending = false;
        }
      };
      const unsubscribe = s.changes.subscribeCeremony(id, () => void sendView());
      const keepAlive = setInterval(
        () => raw.write(': keep-alive\n\n'),
        s.config.eventsKeepAliveSeconds * 1000,
      );
      keepAlive.unref();
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(keepAlive);
        unsubscribe();
        release(address);
      };
      const end = () => {
        close();
        raw.end();
      };
      streams.add(end);
      raw.on('close', () => {
        streams.delete(end);
        close();
      });
      await sendView();
    },
  );
};
