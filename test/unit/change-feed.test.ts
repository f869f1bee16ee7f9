import { describe, expect, it } from 'vitest';
import { ChangeFeed } from '../../src/ceremony/change-feed.js';

describe('ChangeFeed', () => {
  it('notifies the listeners of that ceremony only, until they unsubscribe', () => {
    const feed = new ChangeFeed();
    const heard: string[] = [];
    const stopA = feed.subscribeCeremony('a', () => heard.push('a1'));
    feed.subscribeCeremony('a', () => heard.push('a2'));
    feed.subscribeCeremony('b', () => heard.push('b'));
    feed.notifyCeremony('a');
    stopA();
    feed.notifyCeremony('a');
    feed.notifyCeremony('c');
    expect(heard).toEqual(['a1', 'a2', 'a2']);
  });

  it('refuses a listener that is not a function', () => {
    expect(() => new ChangeFeed().subscribeCeremony('a', 'x' as unknown as () => void)).toThrow(
      /subscribeCeremony: listener must be a function/,
    );
  });
});
