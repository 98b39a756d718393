/**
 * Trigger orders (STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT) waiting for the market,
 * per symbol. Binance compares the stop price with the last trade price: a BUY stop loss and a SELL
 * take profit trigger when a trade is at or above it, a SELL stop loss and a BUY take profit when a
 * trade is at or below it. An order only sees the trades after its own placement; the oldest order
 * triggers first. Funds were locked on placement (matching.ts); once triggered the order works as a
 * MARKET (STOP_LOSS, TAKE_PROFIT) or a LIMIT order at its price and time in force.
 *
 * The waiting orders are indexed per symbol and direction by stop price (those waiting for a rise,
 * lowest stop first; those waiting for a fall, highest first), so a trade looks only at the orders
 * it reaches, plus one that it does not: thousands of waiting stops cost a trade nothing.
 */
import type { Decimal } from '../../model/decimal.js';
import type { Book } from './book.js';
import { SortedList } from './sorted-list.js';
import { ExchangeError, type EngineEvent, type SimOrder } from './types.js';

/** Whether the order waits for a rise (a BUY stop loss, a SELL take profit) rather than a fall. */
const waitsForRise = (order: Pick<SimOrder, 'type' | 'side'>): boolean => (order.type === 'STOP_LOSS' || order.type === 'STOP_LOSS_LIMIT') === (order.side === 'BUY');

/** Whether a trade at `price` reaches the order's stop price. */
export function reaches(order: Pick<SimOrder, 'type' | 'side' | 'stopPrice'>, price: Decimal): boolean {
  return waitsForRise(order) ? price >= order.stopPrice : price <= order.stopPrice;
}

/** Binance refuses a trigger order its stop price would set working at once (against the last trade). */
export function checkNotTriggered(book: Book, order: Pick<SimOrder, 'type' | 'side' | 'stopPrice'>): void {
  if (book.lastPrice !== undefined && reaches(order, book.lastPrice)) throw new ExchangeError(-2010, 'Order would trigger immediately.');
}

/** A waiting order and the first trade id it may react to. */
interface Waiting {
  order: SimOrder;
  since: number;
}

const compareBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
/** Nearest stop first (lowest for a rise, highest for a fall), then the oldest. */
const byStopUp = (a: Waiting, b: Waiting): number => compareBig(a.order.stopPrice, b.order.stopPrice) || a.order.orderId - b.order.orderId;
const byStopDown = (a: Waiting, b: Waiting): number => compareBig(b.order.stopPrice, a.order.stopPrice) || a.order.orderId - b.order.orderId;

/** One symbol's waiting orders, and those a trade reached that have yet to work (newest first: the oldest pops off the end). */
class SymbolTriggers {
  readonly rise = new SortedList<Waiting>(byStopUp);
  readonly fall = new SortedList<Waiting>(byStopDown);
  readonly due = new SortedList<SimOrder>((a, b) => b.orderId - a.orderId);
}

export class Triggers {
  private readonly symbols = new Map<string, SymbolTriggers>();
  /** How many waiting orders trades have looked at, in all (a measure of work, for tests). */
  visited = 0;

  private of(symbol: string): SymbolTriggers {
    let s = this.symbols.get(symbol);
    if (!s) this.symbols.set(symbol, (s = new SymbolTriggers()));
    return s;
  }

  /**
   * Starts watching `order` (admitted, NEW, not working) from the book's next trade on, or from its
   * last one (an order list's pending leg placed by that trade): then, if that trade reached it, it
   * is due at once.
   */
  hold(book: Book, order: SimOrder, fromLastTrade = false): void {
    const s = this.of(book.spec.symbol);
    if (fromLastTrade && book.lastPrice !== undefined && reaches(order, book.lastPrice)) s.due.insert(order);
    else (waitsForRise(order) ? s.rise : s.fall).insert({ order, since: book.nextTradeId });
  }

  /** Stops watching an order that ended while waiting (canceled, expired by its list, rejected). */
  drop(order: SimOrder): void {
    const s = this.symbols.get(order.symbol);
    if (!s) return;
    if (!(waitsForRise(order) ? s.rise : s.fall).remove({ order, since: 0 })) s.due.remove(order);
  }

  /**
   * The oldest waiting order of the book that a trade of the operation reached, taken off the
   * waiting list. The operation's trades are read once each (`out.scanned` is the cursor).
   */
  next(book: Book, out: { events: readonly EngineEvent[]; scanned: number }): SimOrder | undefined {
    const s = this.symbols.get(book.spec.symbol);
    if (!s) {
      out.scanned = out.events.length;
      return undefined;
    }
    for (; out.scanned < out.events.length; out.scanned++) {
      const ev = out.events[out.scanned]!;
      if (ev.kind !== 'trade' || ev.trade.symbol !== book.spec.symbol) continue;
      this.reach(s, s.rise, ev.trade.tradeId, ev.trade.price);
      this.reach(s, s.fall, ev.trade.tradeId, ev.trade.price);
    }
    for (let o = s.due.pop(); o; o = s.due.pop()) if (o.status === 'NEW' && book.open.get(o.orderId) === o) return o;
    return undefined;
  }

  /** Moves the orders of one direction a trade reached to the due ones (not those placed after it). */
  private reach(s: SymbolTriggers, waiting: SortedList<Waiting>, tradeId: number, price: Decimal): void {
    const kept: Waiting[] = [];
    let n = 0;
    for (let w = waiting.at(0); w; w = waiting.at(++n)) {
      this.visited++;
      if (!reaches(w.order, price)) break;
      if (w.since > tradeId) kept.push(w);
      else s.due.insert(w.order);
    }
    if (n > 0) waiting.replaceFirst(n, kept);
  }

  /** How many orders wait (memory tests). */
  get size(): number {
    let n = 0;
    for (const s of this.symbols.values()) n += s.rise.length + s.fall.length + s.due.length;
    return n;
  }
}
