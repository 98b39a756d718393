/**
 * A bounded window of the most recent items, oldest first: what a long-running process keeps of
 * things that would otherwise pile up forever (the simulator's finished orders, trades and candles,
 * a strategy's finished orders). Pushing past the capacity
 * evicts the oldest item and hands it back, so the owner can drop its own indexes of it.
 */
export class Window<T> {
  private readonly items: T[] = [];
  /** Index of the oldest item once the window is full (a ring from then on). */
  private start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window capacity must be a positive integer, not ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  /** Adds `item`; returns the item it evicted, if the window was full. */
  push(item: T): T | undefined {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return undefined;
    }
    const evicted = this.items[this.start]!;
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    return evicted;
  }

  /** The i-th item, oldest first (negative: from the newest, -1 is the newest). */
  at(i: number): T | undefined {
    const n = this.items.length;
    const k = i < 0 ? n + i : i;
    if (k < 0 || k >= n) return undefined;
    return this.items[(this.start + k) % n];
  }

  last(): T | undefined {
    return this.at(-1);
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const n = this.items.length;
    for (let k = 0; k < n; k++) yield this.items[(this.start + k) % n]!;
  }

  toArray(): T[] {
    return [...this];
  }
}
