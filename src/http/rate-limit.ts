// Request budgets per address and per key: token buckets in memory, checked before a route does any work.
import type { FastifyRequest } from 'fastify';
import type { Config, LimitClass, LimitRule } from '../config.js';
import { CeremonyError } from '../errors.js';
import type { App } from './types.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The request budget this route draws from; routes without one are not limited. */
    rateLimit?: LimitClass;
  }
  interface FastifyInstance {
    rateLimiter: RateLimiter | null;
  }
}

export interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Takes one token from a bucket that holds `perMinute` and refills at `perMinute` a minute.
 * Returns the bucket after the attempt, and how many seconds to wait when it was empty.
 */
export function takeToken(
  bucket: Bucket | undefined,
  nowMs: number,
  perMinute: number,
): { bucket: Bucket; retryAfterSeconds: number | null } {
  const refillPerMs = perMinute / 60_000;
  const elapsed = bucket ? Math.max(0, nowMs - bucket.updatedMs) : 0;
  const tokens = bucket ? Math.min(perMinute, bucket.tokens + elapsed * refillPerMs) : perMinute;
  if (tokens >= 1) return { bucket: { tokens: tokens - 1, updatedMs: nowMs }, retryAfterSeconds: null };
  const waitMs = (1 - tokens) / refillPerMs;
  return { bucket: { tokens, updatedMs: nowMs }, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
}

// Bounds memory under a flood of fresh keys or addresses; evicting an old bucket only forgives its owner.
const MAX_BUCKETS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rules: Readonly<Record<LimitClass, LimitRule>>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws RATE_LIMITED (429, with Retry-After) when `who` has spent the group's budget. */
  take(group: LimitClass, scope: 'ip' | 'key', who: string): void {
    const rule = this.rules[group];
    const perMinute = scope === 'ip' ? rule.perIp : rule.perKey;
    const id = `${group}\n${scope}\n${who}`;
    const { bucket, retryAfterSeconds } = takeToken(this.buckets.get(id), this.now(), perMinute);
    // Delete then set keeps the Map in least-recently-used order for eviction.
    this.buckets.delete(id);
    this.buckets.set(id, bucket);
    if (this.buckets.size > MAX_BUCKETS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (retryAfterSeconds !== null) {
      throw new CeremonyError(
        'RATE_LIMITED',
        `too many ${group} requests from this ${scope === 'ip' ? 'address' : 'key'}: retry in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
  }
}

/** Adds the limiter to the app and the per-address check to every route that names a budget. */
export function registerRateLimits(app: App, config: Config): void {
  const limiter = config.rateLimits ? new RateLimiter(config.rateLimits) : null;
  app.decorate('rateLimiter', limiter);
  if (limiter === null) return;
  // onRequest runs before the body is read, so a flood costs no parsing and no database work.
  app.addHook('onRequest', async (request) => {
    const group = request.routeOptions.config.rateLimit;
    if (group !== undefined) limiter.take(group, 'ip', request.ip);
  });
}

/** Charges the route's budget to a key (after login, or the key named in an auth request). */
export function chargeKey(request: FastifyRequest, publicKey: string): void {
  const group = request.routeOptions.config.rateLimit;
  if (group !== undefined) request.server.rateLimiter?.take(group, 'key', publicKey);
}
