// Postgres text cannot hold U+0000: a JSON body carrying one is refused as a bad request, not a database error.
import { CeremonyError } from '../errors.js';
import type { App } from './types.js';

export function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(holdsNul);
  // Only parsed JSON is walked: streamed bodies (zkeys, blobs) are objects with internals, not text.
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value).some(([key, inner]) => key.includes('\u0000') || holdsNul(inner));
  }
  return false;
}

export function registerNulGuard(app: App): void {
  app.addHook('preValidation', async (request) => {
    if (holdsNul(request.body)) throw new CeremonyError('BAD_REQUEST', 'text must not contain U+0000');
  });
}
