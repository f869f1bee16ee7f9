// Who listens for a ceremony's changes (the events stream): notified after each commit, in this process only.

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
}
