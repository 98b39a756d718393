/**
 * Trigger orders (STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT) waiting for the market,
 * per symbol. Binance compares the stop price with the last trade price: a BUY stop loss and a SELL
 * take profit trigger when a trade is at or above it, a SELL stop loss and a BUY take profit when a
 * trade is at or below it. An order only sees the trades after its own placement; the oldest order
 * triggers first. Funds were locked on placement (matching.ts); once triggered the order works as a
 * MARKET (STOP_LOSS, TAKE_PROFIT) or a LIMIT order at its price and time in force.
 */
import type { Decimal } from '../../model/decimal.js';
import type { Book } from './book.js';
import { ExchangeError, type EngineEvent, type SimOrder } from './types.js';

/** Whether a trade at `price` reaches the order's stop price. */
export function reaches(order: Pick<SimOrder, 'type' | 'side' | 'stopPrice'>, price: Decimal): boolean {
  const stopLoss = order.type === 'STOP_LOSS' || order.type === 'STOP_LOSS_LIMIT';
  const upward = stopLoss === (order.side === 'BUY'); // BUY stop loss and SELL take profit wait for a rise
  return upward ? price >= order.stopPrice : price <= order.stopPrice;
}

/** Binance refuses a trigger order its stop price would set working at once (against the last trade). */
export function checkNotTriggered(book: Book, order: Pick<SimOrder, 'type' | 'side' | 'stopPrice'>): void {
  if (book.lastPrice !== undefined && reaches(order, book.lastPrice)) throw new ExchangeError(-2010, 'Order would trigger immediately.');
}

export class Triggers {
  /** symbol -> waiting orders, with the first trade id each may react to. */
  private readonly waiting = new Map<string, Map<SimOrder, number>>();

  /**
   * Starts watching `order` (admitted, NEW, not working) from the book's next trade on, or from its
   * last one (an order list's pending leg placed by that trade).
   */
  hold(book: Book, order: SimOrder, fromLastTrade = false): void {
    let orders = this.waiting.get(book.spec.symbol);
    if (!orders) this.waiting.set(book.spec.symbol, (orders = new Map()));
    orders.set(order, fromLastTrade ? book.nextTradeId - 1 : book.nextTradeId);
  }

  /**
   * The oldest waiting order of the book that one of `events`' trades reached, taken off the
   * waiting list; orders that stopped waiting (canceled, expired by their list) are dropped.
   */
  next(book: Book, events: readonly EngineEvent[]): SimOrder | undefined {
    const orders = this.waiting.get(book.spec.symbol);
    if (!orders || orders.size === 0) return undefined;
    let low: Decimal | undefined;
    let high: Decimal | undefined;
    const trades: { id: number; price: Decimal }[] = [];
    for (const ev of events) {
      if (ev.kind !== 'trade' || ev.trade.symbol !== book.spec.symbol) continue;
      trades.push({ id: ev.trade.tradeId, price: ev.trade.price });
    }
    if (trades.length === 0) return undefined;
    let due: SimOrder | undefined;
    for (const [order, since] of orders) {
      if (order.status !== 'NEW' || book.open.get(order.orderId) !== order) {
        orders.delete(order);
        continue;
      }
      if (due && order.orderId > due.orderId) continue;
      low = high = undefined;
      for (const t of trades) {
        if (t.id < since) continue;
        if (low === undefined || t.price < low) low = t.price;
        if (high === undefined || t.price > high) high = t.price;
      }
      if (low !== undefined && (reaches(order, low) || reaches(order, high!))) due = order;
    }
    if (due) orders.delete(due);
    return due;
  }

  /** How many orders wait (memory tests). */
  get size(): number {
    let n = 0;
    for (const m of this.waiting.values()) n += m.size;
    return n;
  }
}
