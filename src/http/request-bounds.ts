// Bounds on what a request may hold before any route sees it: JSON nesting depth, and the time its body may take.
import { CeremonyError } from '../errors.js';
import type { App } from './types.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads its body as a stream under its own idle timer and deadline (zkeys, blobs). */
    streamsBody?: boolean;
  }
}

/**
 * The deepest nesting of arrays and objects in JSON text, found without parsing: brackets inside strings do not
 * count. Stops counting once past `limit`, so a hostile body costs one pass at most.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return deepest;
}

/** JSON bodies deeper than `maxDepth` are refused with 400 before they are parsed or walked. */
export function registerJsonDepthBound(app: App, maxDepth: number): void {
  // Fastify's own parser (prototype-poisoning refusal kept), behind the depth check.
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonDepth(text, maxDepth) > maxDepth) {
      done(new CeremonyError('BAD_REQUEST', `JSON nested deeper than ${maxDepth} levels`), undefined);
      return;
    }
    parse(request, text, done);
  });
}

/**
 * A body that is not a route's stream must all arrive within `seconds` of the headers; a body that trickles is
 * answered `408 REQUEST_TIMEOUT` and its connection closed, so no client holds a socket by sending slowly.
 */
export function registerBodyDeadline(app: App, seconds: number): void {
  app.addHook('onRequest', async (request) => {
    const raw = request.raw;
    if (raw.complete || request.routeOptions.config.streamsBody === true) return;
    const timer = setTimeout(() => {
      if (raw.complete) return;
      request.log.warn({ seconds }, 'request body too slow: connection closed');
      const late = new CeremonyError(
        'REQUEST_TIMEOUT',
        `the request body did not arrive within ${seconds} s`,
      );
      // A parser reading the body answers 408 through the error handler; a body nobody reads ends with the socket.
      if (raw.listenerCount('error') > 0) raw.emit('error', late);
      else raw.socket?.destroy();
    }, seconds * 1000);
    // The connection keeps the process alive on its own; this timer must not outlive it (a shutdown waited 30 s).
    timer.unref();
    // A body dumped after an early answer (a 404) ends with no 'close' on the request: its socket's close counts.
    const socket = raw.socket;
    const stop = () => {
      clearTimeout(timer);
      socket?.off('close', stop);
    };
    raw.once('end', stop);
    raw.once('close', stop);
    socket?.once('close', stop);
  });
}
