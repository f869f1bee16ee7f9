// The cache of checked bearer tokens never outlives the token, nor its own age limit, nor its size bound.
import { describe, expect, it } from 'vitest';
import { CallerCache } from '../../src/ceremony/caller-cache.js';

const caller = (publicKey: string) => ({ publicKey, configured: false, coordinator: false });

describe('the caller cache', () => {
  it('forgets a caller when its token expires, even inside the age limit', () => {
    let now = 1_000_000;
    const cache = new CallerCache(10_000, 100, () => now);
    cache.set('t', caller('a'), now + 3_000);
    expect(cache.get('t')?.publicKey).toBe('a');
    now += 3_000;
    expect(cache.get('t')).toBeUndefined();
  });

  it('forgets a caller after the age limit, even while the token is valid', () => {
    let now = 1_000_000;
    const cache = new CallerCache(10_000, 100, () => now);
    cache.set('t', caller('a'), now + 3_600_000);
    now += 9_999;
    expect(cache.get('t')?.publicKey).toBe('a');
    now += 1;
    expect(cache.get('t')).toBeUndefined();
  });

  it('keeps at most its bound, dropping the least recently used; logout evicts at once', () => {
    const now = 1_000_000;
    const cache = new CallerCache(10_000, 2, () => now);
    cache.set('a', caller('a'), now + 60_000);
    cache.set('b', caller('b'), now + 60_000);
    expect(cache.get('a')?.publicKey).toBe('a');
    cache.set('c', caller('c'), now + 60_000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.publicKey).toBe('a');
    cache.evict('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')?.publicKey).toBe('c');
  });

  it('caches nothing with an age limit of 0', () => {
    const cache = new CallerCache(0, 100);
    cache.set('t', caller('a'), Date.now() + 60_000);
    expect(cache.get('t')).toBeUndefined();
  });
});
