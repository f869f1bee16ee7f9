import { describe, expect, it } from 'vitest';
import { acceptableOrigin, authMessage } from '../../src/ceremony/auth-message.js';
import { rejoinWaitSeconds } from '../../src/ceremony/standing.js';
import { loadConfig } from '../../src/config.js';
import { RateLimiter, takeToken } from '../../src/http/rate-limit.js';

describe('takeToken', () => {
  it('allows a full minute of requests at once, then one per refill interval', () => {
    let bucket: Parameters<typeof takeToken>[0];
    for (let i = 0; i < 6; i++) {
      const r = takeToken(bucket, 0, 6);
      expect(r.retryAfterSeconds).toBeNull();
      bucket = r.bucket;
    }
    const refused = takeToken(bucket, 0, 6);
    expect(refused.retryAfterSeconds).toBe(10);
    expect(takeToken(refused.bucket, 9_999, 6).retryAfterSeconds).toBe(1);
    expect(takeToken(refused.bucket, 10_000, 6).retryAfterSeconds).toBeNull();
  });

  it('never holds more than a minute of tokens after a long silence', () => {
    const { bucket } = takeToken({ tokens: 0, updatedMs: 0 }, 3_600_000, 6);
    expect(bucket.tokens).toBe(5);
  });
});

describe('RateLimiter', () => {
  it('keeps addresses, keys and groups apart, and answers RATE_LIMITED with a wait', () => {
    const rules = loadConfig({}, { RATE_LIMIT_AUTH: '2/1' }).rateLimits;
    if (!rules) throw new Error('limits are on by default');
    const limiter = new RateLimiter(rules, () => 0);
    limiter.take('auth', 'ip', 'a');
    limiter.take('auth', 'ip', 'a');
    expect(() => limiter.take('auth', 'ip', 'a')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
    limiter.take('auth', 'ip', 'b');
    limiter.take('auth', 'key', 'a');
    limiter.take('queue', 'ip', 'a');
    try {
      limiter.take('auth', 'key', 'a');
      expect.unreachable();
    } catch (err) {
      expect((err as { retryAfterSeconds: number }).retryAfterSeconds).toBe(60);
    }
  });
});

describe('rate-limit configuration', () => {
  it('is on by default, off with RATE_LIMIT=off, and refuses malformed budgets', () => {
    expect(loadConfig({}, {}).rateLimits?.auth).toEqual({ perIp: 60, perKey: 10 });
    expect(loadConfig({}, { RATE_LIMIT: 'off' }).rateLimits).toBeNull();
    expect(() => loadConfig({}, { RATE_LIMIT: 'maybe' })).toThrow(/RATE_LIMIT/);
    expect(() => loadConfig({}, { RATE_LIMIT_QUEUE: '10' })).toThrow(/RATE_LIMIT_QUEUE/);
    expect(() => loadConfig({}, { RATE_LIMIT_QUEUE: '0/1' })).toThrow(/RATE_LIMIT_QUEUE/);
  });

  it('lets a key heartbeat three times as often as the server asks', () => {
    expect(loadConfig({}, { HEARTBEAT_INTERVAL_SECONDS: '1' }).rateLimits?.heartbeat.perKey).toBe(180);
    expect(loadConfig({}, {}).rateLimits?.heartbeat.perKey).toBe(36);
  });
});

describe('rejoinWaitSeconds', () => {
  it('counts down the cool-down from the last leave', () => {
    const left = new Date(1_000_000);
    expect(rejoinWaitSeconds(null, new Date(0), 30)).toBeNull();
    expect(rejoinWaitSeconds(left, new Date(1_000_000), 30)).toBe(30);
    expect(rejoinWaitSeconds(left, new Date(1_029_001), 30)).toBe(1);
    expect(rejoinWaitSeconds(left, new Date(1_030_000), 30)).toBeNull();
    expect(rejoinWaitSeconds(left, new Date(1_000_000), 0)).toBeNull();
  });
});

describe('login message and origin', () => {
  it('signs the version, the origin and the nonce on three lines', () => {
    expect(new TextDecoder().decode(authMessage('ceremony.example', 'ab12'))).toBe(
      'ceremony-auth/v2\nceremony.example\nab12',
    );
    expect(() => authMessage('a\nb', 'ab12')).toThrow(/origin/);
  });

  it("signs only for the server's own host name, unless the server is on this machine", () => {
    expect(acceptableOrigin('https://ceremony.example', 'ceremony.example')).toBe('ceremony.example');
    expect(acceptableOrigin('https://ceremony.example:8443/v1', 'ceremony.example:8443')).toBe(
      'ceremony.example:8443',
    );
    expect(acceptableOrigin('https://hostile.example', 'ceremony.example')).toBeUndefined();
    expect(acceptableOrigin('http://127.0.0.1:8080', 'test.ceremony.local')).toBe('test.ceremony.local');
    expect(acceptableOrigin('http://localhost:8080', 'anything')).toBe('anything');
  });
});
