/**
 * Looks ahead at the book the way matching would go, without touching it: what a FOK order could
 * fill, what a market BUY must lock, how much base a quoteOrderQty order comes to. Self-trade
 * prevention is taken into account, so the look-ahead and the matching agree.
 */
import { ZERO, div, min, roundToStep, type Decimal } from '../../model/decimal.js';
import { buyLock, fillQuote } from './balances.js';
import { remainingOf, type Book } from './book.js';
import type { SimSide, StpMode } from './types.js';

export interface Taker {
  side: SimSide;
  account: string;
  stp: StpMode;
  /** Undefined for a market order. */
  limit?: Decimal;
}

/** The makers `taker` would meet, best first, each as its price and remaining quantity. */
export function* crossable(book: Book, taker: Taker): Generator<{ price: Decimal; qty: Decimal }> {
  for (const level of taker.side === 'BUY' ? book.asks : book.bids) {
    if (taker.limit !== undefined && (taker.side === 'BUY' ? level.price > taker.limit : level.price < taker.limit)) return;
    for (const maker of level.orders) {
      if (taker.stp !== 'NONE' && maker.account === taker.account) {
        if (taker.stp === 'EXPIRE_MAKER') continue; // that maker expires; matching goes on
        return; // the taker expires here
      }
      yield { price: level.price, qty: remainingOf(maker) };
    }
  }
}

/** Quantity `taker` could trade now (FOK's test). */
export function available(book: Book, taker: Taker): Decimal {
  let total = ZERO;
  for (const m of crossable(book, taker)) total += m.qty;
  return total;
}

/** Quote a market BUY of `qty` needs locked: each fill's payment, rounded up. */
export function marketCost(book: Book, taker: Taker, qty: Decimal): Decimal {
  let left = qty;
  let cost = ZERO;
  for (const m of crossable(book, taker)) {
    if (left === ZERO) break;
    const q = min(left, m.qty);
    cost += buyLock(m.price, q);
    left -= q;
  }
  return cost;
}

/**
 * The base quantity a quoteOrderQty market order comes to: whole steps from each maker while the
 * quote (spent on a BUY, received on a SELL) stays within `quote`. `exhausted` tells whether the book
 * ran out before the quote did.
 */
export function quoteTarget(book: Book, taker: Taker, quote: Decimal): { qty: Decimal; exhausted: boolean } {
  let left = quote;
  let qty = ZERO;
  for (const m of crossable(book, taker)) {
    const q = min(m.qty, roundToStep(div(left, m.price, 'down'), book.spec.stepSize, 'down'));
    if (q <= ZERO) return { qty, exhausted: false };
    qty += q;
    left -= fillQuote(m.price, q);
  }
  return { qty, exhausted: true };
}
