// One circuit's line of waiting turns as an order-statistic structure: how many wait ahead of a turn in O(log n),
// whoever leaves (from the head, from the middle, by expiry or rejection), without counting the line.
//
// Why a Fenwick tree over join slots rather than a queue sequence and a count of departures: departures from the
// middle (a participant leaves, falls silent, is revoked) shift only those behind them, which a single departure
// count cannot express; the tree answers "waiting turns in slots before mine" in O(log n) for any departure pattern.
// Turns join at the end (queue positions only grow), so a slot is the next index; the tree grows by doubling and is
// compacted when departed slots outnumber waiting ones, so its memory stays O(waiting).

export class WaitingLine {
  /** Fenwick tree (1-based) over slots: 1 where a waiting turn sits, 0 where one left. */
  #tree = new Int32Array(1024);
  /** Turn id in each slot (0-based), 0 once it left. */
  #slots: number[] = [];
  /** Queue position per slot, to keep slots in queue order. */
  #positions: number[] = [];
  readonly #slotOf = new Map<number, number>();

  /** Waiting turns in the line. */
  get size(): number {
    return this.#slotOf.size;
  }

  has(turnId: number): boolean {
    return this.#slotOf.has(turnId);
  }

  /** Adds a waiting turn; a turn already in line stays where it is. */
  add(turnId: number, queuePos: number): void {
    if (!Number.isSafeInteger(turnId) || turnId <= 0)
      throw new RangeError(`WaitingLine.add: expected a positive turn id, got ${turnId}`);
    if (this.#slotOf.has(turnId)) return;
    const last = this.#positions[this.#positions.length - 1];
    if (last !== undefined && queuePos < last) {
      // Never happens while joins commit in queue order (they do, under the ceremony lock); stay right if it does.
      this.#rebuild([...this.#entries(), { turnId, queuePos }].sort((a, b) => a.queuePos - b.queuePos));
      return;
    }
    this.#append(turnId, queuePos);
  }

  /** Removes a turn that stopped waiting (activated, cancelled); a turn not in line is ignored. */
  remove(turnId: number): void {
    const slot = this.#slotOf.get(turnId);
    if (slot === undefined) return;
    this.#slotOf.delete(turnId);
    this.#slots[slot] = 0;
    this.#update(slot + 1, -1);
    if (this.#slots.length > 1024 && this.#slots.length > 2 * this.#slotOf.size)
      this.#rebuild([...this.#entries()]);
  }

  /** Waiting turns ahead of this one, or undefined when it is not in line. */
  ahead(turnId: number): number | undefined {
    const slot = this.#slotOf.get(turnId);
    if (slot === undefined) return undefined;
    let sum = 0;
    for (let i = slot; i > 0; i -= i & -i) sum += this.#tree[i] ?? 0;
    return sum;
  }

  *#entries(): Iterable<{ turnId: number; queuePos: number }> {
    for (let i = 0; i < this.#slots.length; i++) {
      const turnId = this.#slots[i] ?? 0;
      if (turnId !== 0) yield { turnId, queuePos: this.#positions[i] ?? 0 };
    }
  }

  #append(turnId: number, queuePos: number): void {
    const slot = this.#slots.length;
    if (slot + 1 >= this.#tree.length) {
      this.#rebuild([...this.#entries(), { turnId, queuePos }], this.#tree.length * 2);
      return;
    }
    this.#slots.push(turnId);
    this.#positions.push(queuePos);
    this.#slotOf.set(turnId, slot);
    this.#update(slot + 1, 1);
  }

  #update(index: number, delta: number): void {
    for (let i = index; i < this.#tree.length; i += i & -i) this.#tree[i] = (this.#tree[i] ?? 0) + delta;
  }

  /** Lays the given turns (in queue order) into fresh slots, in O(n). */
  #rebuild(entries: { turnId: number; queuePos: number }[], minCapacity = 1024): void {
    let capacity = 1024;
    while (capacity < Math.max(minCapacity, 2 * entries.length + 2)) capacity *= 2;
    const tree = new Int32Array(capacity);
    this.#slots = entries.map((e) => e.turnId);
    this.#positions = entries.map((e) => e.queuePos);
    this.#slotOf.clear();
    for (let i = 0; i < entries.length; i++) {
      this.#slotOf.set(this.#slots[i] ?? 0, i);
      tree[i + 1] = 1;
    }
    // Linear Fenwick construction: each node, once whole, passes its sum to its parent (empty nodes too).
    for (let j = 1; j < capacity; j++) {
      const parent = j + (j & -j);
      if (parent < capacity) tree[parent] = (tree[parent] ?? 0) + (tree[j] ?? 0);
    }
    this.#tree = tree;
  }
}
