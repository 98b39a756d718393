/**
 * Binance's order-book messages, parsed for the book (book.ts): the `depthUpdate` diff of
 * `<s>@depth@100ms` and the `GET /api/v3/depth` snapshot. Pure functions; levels come out as flat
 * arrays [price, qty, price, qty, ...] of fixed-point units (fixed.ts), filled into arrays the
 * caller reuses, so a diff costs no allocation beyond JSON.parse's.
 */
import { FixedError, parseFixed } from './fixed.js';
import { MappingError, int, record, symbolOf } from './mapping.js';

/**
 * One side's levels of a diff, flat [price, qty, price, qty, ...] in fixed-point units: the first
 * `length` numbers of `values`. Reused diff after diff: emptying a JS array gives its storage
 * back, and filling it again allocated 100 MB a second at bench:md's rate.
 */
export class Levels {
  values = new Float64Array(32);
  length = 0;

  /** Appends a level; callers bound the count (MAX_LEVELS). */
  push(price: number, qty: number): void {
    const values = this.reserve(this.length + 2);
    values[this.length++] = price;
    values[this.length++] = qty;
  }

  /** `values`, grown if needed to hold `size` numbers (the scanner writes into it directly). */
  reserve(size: number): Float64Array {
    if (size > this.values.length) {
      const grown = new Float64Array(Math.max(size, this.values.length * 2));
      grown.set(this.values);
      this.values = grown;
    }
    return this.values;
  }

  copy(): Levels {
    const c = new Levels();
    c.values = this.values.slice(0, Math.max(2, this.length));
    c.length = this.length;
    return c;
  }

  toArray(): number[] {
    return Array.from(this.values.subarray(0, this.length));
  }
}

export interface DepthDiff {
  symbol: string;
  /** E, exchange ms. */
  eventTime: number;
  /** U and u: the first and last update ids in the event. */
  first: number;
  last: number;
  bids: Levels;
  asks: Levels;
}

export interface DepthSnapshot {
  lastUpdateId: number;
  bids: number[];
  asks: number[];
}

/** More levels than this in one message is not Binance (snapshots stop at 5000). */
export const MAX_LEVELS = 5000;

export function emptyDiff(): DepthDiff {
  return { symbol: '', eventTime: 0, first: 0, last: 0, bids: new Levels(), asks: new Levels() };
}

/** `[[price, qty], ...]` into `into` (emptied first). Prices > 0, quantities >= 0 (0 removes). */
function levels(value: unknown, into: { length: number; push(price: number, qty: number): void }, kind: string, side: string): void {
  into.length = 0;
  if (!Array.isArray(value)) throw new MappingError(kind, `${kind}: ${side} must be an array of [price, qty]`);
  if (value.length > MAX_LEVELS) throw new MappingError(kind, `${kind}: ${side} has ${value.length} levels, more than ${MAX_LEVELS}`);
  for (let i = 0; i < value.length; i++) {
    const level = value[i];
    if (!Array.isArray(level) || level.length < 2 || typeof level[0] !== 'string' || typeof level[1] !== 'string') {
      throw new MappingError(kind, `${kind}: ${side}[${i}] must be [price, qty] as decimal strings`);
    }
    let price: number;
    let qty: number;
    try {
      price = parseFixed(level[0]);
      qty = parseFixed(level[1]);
    } catch (err) {
      throw new MappingError(kind, `${kind}: ${side}[${i}]: ${(err as FixedError).message}`);
    }
    if (price <= 0 || qty < 0) throw new MappingError(kind, `${kind}: ${side}[${i}] has price ${level[0]} and qty ${level[1]}: a price must be > 0, a qty >= 0`);
    into.push(price, qty);
  }
}

/** A `depthUpdate` event (the `data` of `<s>@depth@100ms`). */
export function parseDepthDiff(data: unknown, out: DepthDiff = emptyDiff()): DepthDiff {
  const k = 'depthUpdate';
  const o = record(data, k);
  if (o.e !== k) throw new MappingError(k, `${k}: field e must be "${k}"`);
  out.symbol = symbolOf(o, 's', k);
  out.eventTime = int(o, 'E', k);
  out.first = int(o, 'U', k);
  out.last = int(o, 'u', k);
  if (out.first > out.last) throw new MappingError(k, `${k}: U ${out.first} is after u ${out.last}`);
  levels(o.b, out.bids, k, 'b');
  levels(o.a, out.asks, k, 'a');
  return out;
}

/** The answer of `GET /api/v3/depth`. */
export function parseDepthSnapshot(body: unknown): DepthSnapshot {
  const k = 'depth snapshot';
  const o = record(body, k);
  const snapshot: DepthSnapshot = { lastUpdateId: int(o, 'lastUpdateId', k), bids: [], asks: [] };
  levels(o.bids, snapshot.bids, k, 'bids');
  levels(o.asks, snapshot.asks, k, 'asks');
  return snapshot;
}
