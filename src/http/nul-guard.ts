// Postgres text cannot hold U+0000: a JSON body carrying one is refused as a bad request, not a database error.
import { CeremonyError } from '../errors.js';
import type { App } from './types.js';

export function holdsNul(value: unknown): boolean {
  // A stack, not recursion: the depth bound comes first, but the walk must not depend on it.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (next.includes('\u0000')) return true;
    } else if (Array.isArray(next)) {
      pending.push(...next);
    } else if (
      next !== null &&
      typeof next === 'object' &&
      Object.getPrototypeOf(next) === Object.prototype
    ) {
      // Only parsed JSON is walked: streamed bodies (zkeys, blobs) are objects with internals, not text.
      for (const [key, inner] of Object.entries(next)) {
        if (key.includes('\u0000')) return true;
        pending.push(inner);
      }
    }
  }
  return false;
}

export function registerNulGuard(app: App): void {
  app.addHook('preValidation', async (request) => {
    if (holdsNul(request.body)) throw new CeremonyError('BAD_REQUEST', 'text must not contain U+0000');
  });
}
