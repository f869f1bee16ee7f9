// Who listens for a ceremony's changes (the events stream): notified after each commit in this process, and after
// the commits of other processes on the same database as their notifications arrive (src/cluster.ts).

export type ChangeListener = () => void;

export class ChangeFeed {
  readonly #listeners = new Map<string, Set<ChangeListener>>();

  /** Calls `listener` after each committed change to the ceremony; returns the unsubscribe function. */
  subscribeCeremony(ceremonyId: string, listener: ChangeListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribeCeremony: listener must be a function');
    let set = this.#listeners.get(ceremonyId);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(ceremonyId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(ceremonyId) === set) this.#listeners.delete(ceremonyId);
    };
  }

  notifyCeremony(ceremonyId: string): void {
    for (const listener of this.#listeners.get(ceremonyId) ?? []) listener();
  }

  /** Any ceremony may have changed (changes from other processes were missed): every listener looks again. */
  notifyAll(): void {
    for (const id of [...this.#listeners.keys()]) this.notifyCeremony(id);
  }
}
