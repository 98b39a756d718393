/**
 * A local order book keyed by integer price ticks (the instrument's tick size), quantities in
 * 8-decimal fixed-point units held in Numbers (fixed.ts): no strings, no floats with fractions, no
 * bigints on the hot path.
 *
 * Each side is a pair of sorted typed arrays with the best level at the end (bids by ascending
 * tick, asks by descending tick, stored as negated ticks so both sides sort ascending): most
 * changes happen near the top, where an insert or delete moves few elements, and a lookup is a
 * binary search.
 *
 * Levels beyond the snapshot are not invented (Binance: "you won't learn the quantities for the
 * levels outside of the initial snapshot unless they change"): when a snapshot side came back
 * full, the book knows that side only down to its deepest level, and ignores changes further out,
 * so every level it holds is complete and exact.
 */
import type { Levels } from './depth-json.js';

export class BookError extends Error {
  override name = 'BookError';
}

/** Levels a side may hold: the snapshot's 5000 plus what diffs add within its range. */
const MAX_SIDE_LEVELS = 50_000;

export class BookSide {
  /** Sort keys (ticks for bids, -ticks for asks), ascending: the best level is last. */
  keys = new Float64Array(256);
  qty = new Float64Array(256);
  size = 0;
  /** Keys below this are outside what the snapshot covered (-Infinity: the whole side is known). */
  floor = Number.NEGATIVE_INFINITY;

  constructor(
    /** +1 for bids, -1 for asks: key = sign x tick. */
    readonly sign: 1 | -1,
  ) {}

  clear(): void {
    this.size = 0;
    this.floor = Number.NEGATIVE_INFINITY;
  }

  /** Index of the first key >= `key`. */
  private lowerBound(key: number): number {
    let lo = 0;
    let hi = this.size;
    const keys = this.keys;
    // Most changes are near the top (the end): look there first.
    if (hi > 0 && keys[hi - 1]! < key) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(): void {
    if (this.keys.length >= MAX_SIDE_LEVELS) throw new BookError(`a book side would hold more than ${MAX_SIDE_LEVELS} levels`);
    const n = Math.min(MAX_SIDE_LEVELS, this.keys.length * 2);
    const keys = new Float64Array(n);
    const qty = new Float64Array(n);
    keys.set(this.keys.subarray(0, this.size));
    qty.set(this.qty.subarray(0, this.size));
    this.keys = keys;
    this.qty = qty;
  }

  /**
   * Sets the quantity at `tick` (0 removes the level). Returns how far from the top the change
   * was (0 = best level), or -1 when nothing changed (removing an absent level, a change beyond
   * the known range).
   */
  set(tick: number, quantity: number): number {
    const key = this.sign * tick;
    if (key < this.floor) return -1;
    const i = this.lowerBound(key);
    const size = this.size;
    if (i < size && this.keys[i] === key) {
      const fromTop = size - 1 - i;
      if (quantity === 0) {
        this.keys.copyWithin(i, i + 1, size);
        this.qty.copyWithin(i, i + 1, size);
        this.size = size - 1;
      } else {
        if (this.qty[i] === quantity) return -1;
        this.qty[i] = quantity;
      }
      return fromTop;
    }
    if (quantity === 0) return -1;
    if (size === this.keys.length) this.grow();
    if (i < size) {
      this.keys.copyWithin(i + 1, i, size);
      this.qty.copyWithin(i + 1, i, size);
    }
    this.keys[i] = key;
    this.qty[i] = quantity;
    this.size = size + 1;
    return size - i;
  }

  /** The tick of the level `fromTop` levels below the best (0 = best). */
  tickAt(fromTop: number): number {
    return this.sign * this.keys[this.size - 1 - fromTop]!;
  }

  qtyAt(fromTop: number): number {
    return this.qty[this.size - 1 - fromTop]!;
  }
}

export class OrderBook {
  readonly bids = new BookSide(1);
  readonly asks = new BookSide(-1);
  /** Update id of the last change applied (the snapshot's lastUpdateId, then each diff's u). */
  updateId = 0;
  /** The price grid: one tick in fixed-point units (the instrument's tickSize). */
  tickUnits = 1;

  /** The tick index of a fixed-point price; throws when the price is off the grid. */
  tickOf(price: number): number {
    const tick = price / this.tickUnits;
    if (!Number.isInteger(tick)) throw new BookError(`price ${price / 1e8} is not a multiple of the tick size ${this.tickUnits / 1e8}`);
    return tick;
  }

  /** Replaces the book with a snapshot (flat [price, qty, ...] per side, best first) taken with `limit`. */
  load(bids: readonly number[], asks: readonly number[], updateId: number, tickUnits: number, limit: number): void {
    this.tickUnits = tickUnits;
    this.updateId = updateId;
    for (const [side, levels] of [
      [this.bids, bids],
      [this.asks, asks],
    ] as const) {
      side.clear();
      for (let i = 0; i < levels.length; i += 2) side.set(this.tickOf(levels[i]!), levels[i + 1]!);
      // A full side may go deeper than what we were told: only its own range is known.
      if (levels.length / 2 >= limit && side.size > 0) side.floor = side.keys[0]!;
    }
  }

  /**
   * Applies one side's levels of a diff (flat [price, qty, ...]); returns the smallest distance
   * from the top that changed (Infinity if nothing did), so callers know whether the top N moved.
   */
  apply(side: BookSide, levels: Levels): number {
    let nearest = Number.POSITIVE_INFINITY;
    const values = levels.values;
    for (let i = 0; i < levels.length; i += 2) {
      const fromTop = side.set(this.tickOf(values[i]!), values[i + 1]!);
      if (fromTop >= 0 && fromTop < nearest) nearest = fromTop;
    }
    return nearest;
  }

  /** Whether the best bid is below the best ask (or a side is empty), as a sound book is. */
  uncrossed(): boolean {
    return this.bids.size === 0 || this.asks.size === 0 || this.bids.tickAt(0) < this.asks.tickAt(0);
  }
}
