/**
 * An array kept in order by a comparison, for the indexes the engine searches by key (waiting
 * trigger orders by stop price): binary search to find, insert and remove; the first items read in
 * order. Keys must be unique (the comparison breaks ties, e.g. by order id).
 */
export class SortedList<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get length(): number {
    return this.items.length;
  }

  at(index: number): T | undefined {
    return this.items[index];
  }

  insert(item: T): void {
    this.items.splice(this.lowerBound(item), 0, item);
  }

  /** Removes the item that compares equal to `item`; whether there was one. */
  remove(item: T): boolean {
    const i = this.lowerBound(item);
    if (i >= this.items.length || this.compare(this.items[i]!, item) !== 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** Takes the last item off. */
  pop(): T | undefined {
    return this.items.pop();
  }

  /** Replaces the first `count` items with `kept`, some of them in their order (they still sort first). */
  replaceFirst(count: number, kept: T[]): void {
    this.items.splice(0, count, ...kept);
  }

  /** The index of the first item not before `item`. */
  private lowerBound(item: T): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.items[mid]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
