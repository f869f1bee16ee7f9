// Recently checked bearer tokens, so a participant polling their status or heartbeating costs no database read for
// the token. Bounded in entries (least recently used goes first) and in age; logout evicts at once in this process.
import type { Caller } from './auth.js';

export class CallerCache {
  readonly #entries = new Map<string, { caller: Caller; untilMs: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0)
      throw new RangeError(`CallerCache: maxEntries must be a non-negative integer, got ${maxEntries}`);
  }

  get(tokenHash: string): Caller | undefined {
    const entry = this.#entries.get(tokenHash);
    if (entry === undefined) return undefined;
    this.#entries.delete(tokenHash);
    if (entry.untilMs <= this.now()) return undefined;
    this.#entries.set(tokenHash, entry);
    return entry.caller;
  }

  /** Keeps the caller until the cache's age limit or the token's expiry, whichever comes first. */
  set(tokenHash: string, caller: Caller, tokenExpiresMs: number): void {
    if (this.ttlMs === 0 || this.maxEntries === 0) return;
    this.#entries.delete(tokenHash);
    this.#entries.set(tokenHash, { caller, untilMs: Math.min(tokenExpiresMs, this.now() + this.ttlMs) });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  evict(tokenHash: string): void {
    this.#entries.delete(tokenHash);
  }

  /** Forgets every token of a key that lost its role (revoked): its next request reads the database. */
  evictKey(publicKey: string): void {
    for (const [tokenHash, entry] of this.#entries)
      if (entry.caller.publicKey === publicKey) this.#entries.delete(tokenHash);
  }
}
