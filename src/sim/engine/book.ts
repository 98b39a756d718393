/**
 * One symbol's order book and what the engine remembers of its orders and trades: price levels in
 * price-time priority, the open orders by id and by client id, and, per account, bounded windows of
 * finished orders and own trades (GET order, myTrades, reconciliation). Finished orders past their
 * window are forgotten with their indexes, so memory stays flat however long the sim runs.
 */
import { ZERO, type Decimal } from '../../model/decimal.js';
import { AvgPrice } from './avg-price.js';
import { clientKey } from './client-ids.js';
import type { PreventedMatchRecord, SimOrder, SimSide, SimTrade, SymbolSpec } from './types.js';
import { Window } from '../../util/window.js';

export interface Level {
  price: Decimal;
  orders: SimOrder[];
  /** Sum of the resting orders' remaining quantity. */
  qty: Decimal;
}

/** How much the engine keeps of what is done, per account and symbol. */
export interface Retention {
  /** Finished (filled, canceled, expired) orders GET order still finds. Default 5000. */
  finishedOrders?: number;
  /** Own trades myTrades still lists. Default 5000. */
  trades?: number;
}

export const DEFAULT_RETENTION: Required<Retention> = { finishedOrders: 5000, trades: 5000 };

/** What the order can still trade. */
export const remainingOf = (o: SimOrder): Decimal => o.origQty - o.executedQty - o.preventedQty;

export class Book {
  /** Best first: bids descending, asks ascending. */
  readonly bids: Level[] = [];
  readonly asks: Level[] = [];
  updateId = 0;
  nextOrderId = 1;
  nextTradeId = 1;
  nextPreventedMatchId = 0;
  readonly avgPrice = new AvgPrice();
  /** The last trade's price (what trigger orders watch); undefined before the first trade. */
  lastPrice: Decimal | undefined;
  readonly open = new Map<number, SimOrder>();
  /** Open orders and the finished ones still in their account's window. */
  readonly known = new Map<number, SimOrder>();
  /** account + clientOrderId -> the latest known order with that id, and the open one if any. */
  readonly byClientId = new Map<string, SimOrder>();
  readonly openByClientId = new Map<string, SimOrder>();
  private readonly finished = new Map<string, Window<SimOrder>>();
  private readonly ownTrades = new Map<string, Window<SimTrade>>();
  private readonly prevented = new Map<string, Window<PreventedMatchRecord>>();

  constructor(
    readonly spec: SymbolSpec,
    private readonly retention: Required<Retention>,
  ) {}

  side(side: SimSide): Level[] {
    return side === 'BUY' ? this.bids : this.asks;
  }

  /** Index of the level at `price`, or where it would be inserted. */
  find(levels: Level[], price: Decimal, descending: boolean): { index: number; found: boolean } {
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = levels[mid]!.price;
      if (p === price) return { index: mid, found: true };
      if (descending ? p > price : p < price) lo = mid + 1;
      else hi = mid;
    }
    return { index: lo, found: false };
  }

  levelQty(side: SimSide, price: Decimal): Decimal {
    const levels = this.side(side);
    const { index, found } = this.find(levels, price, side === 'BUY');
    return found ? levels[index]!.qty : ZERO;
  }

  /** A new order: known from now on (by id and client id). */
  admit(order: SimOrder): void {
    this.known.set(order.orderId, order);
    this.byClientId.set(clientKey(order.account, order.clientOrderId), order);
  }

  /** An order that will not trade again: no longer open, kept in its account's window of finished orders. */
  finish(order: SimOrder): void {
    order.isWorking = false;
    this.open.delete(order.orderId);
    const key = clientKey(order.account, order.clientOrderId);
    if (this.openByClientId.get(key) === order) this.openByClientId.delete(key);
    const evicted = windowOf(this.finished, order.account, this.retention.finishedOrders).push(order);
    if (evicted) {
      this.known.delete(evicted.orderId);
      const evictedKey = clientKey(evicted.account, evicted.clientOrderId);
      if (this.byClientId.get(evictedKey) === evicted) this.byClientId.delete(evictedKey);
    }
  }

  /** Puts an order on the book with `remaining` quantity. */
  rest(order: SimOrder, remaining: Decimal): void {
    const levels = this.side(order.side);
    const { index, found } = this.find(levels, order.price, order.side === 'BUY');
    if (found) {
      const level = levels[index]!;
      level.orders.push(order);
      level.qty += remaining;
    } else {
      levels.splice(index, 0, { price: order.price, orders: [order], qty: remaining });
    }
    order.isWorking = true;
    this.open.set(order.orderId, order);
    this.openByClientId.set(clientKey(order.account, order.clientOrderId), order);
  }

  /** An open order that is not on the book: a trigger order waiting for its stop, an order list's pending leg. */
  hold(order: SimOrder): void {
    order.isWorking = false;
    this.open.set(order.orderId, order);
    this.openByClientId.set(clientKey(order.account, order.clientOrderId), order);
  }

  /** Takes a resting order off its level (cancel); the caller finishes it. */
  unrest(order: SimOrder): void {
    const levels = this.side(order.side);
    const { index, found } = this.find(levels, order.price, order.side === 'BUY');
    if (!found) return;
    const level = levels[index]!;
    const i = level.orders.indexOf(order);
    if (i >= 0) level.orders.splice(i, 1);
    level.qty -= remainingOf(order);
    if (level.orders.length === 0) levels.splice(index, 1);
  }

  recordTrade(trade: SimTrade): void {
    windowOf(this.ownTrades, trade.account, this.retention.trades).push(trade);
  }

  recordPrevented(match: PreventedMatchRecord): void {
    windowOf(this.prevented, match.account, this.retention.trades).push(match);
  }

  /** The account's prevented matches still in its window, oldest first. */
  preventedMatches(account: string): PreventedMatchRecord[] {
    return this.prevented.get(account)?.toArray() ?? [];
  }

  trades(account: string): SimTrade[] {
    return this.ownTrades.get(account)?.toArray() ?? [];
  }

  lastTrade(account: string): SimTrade | undefined {
    return this.ownTrades.get(account)?.last();
  }

  /** How many orders and trades this book holds (for memory tests and diagnostics). */
  get retained(): { open: number; known: number; clientIds: number; trades: number } {
    let trades = 0;
    for (const w of this.ownTrades.values()) trades += w.size;
    return { open: this.open.size, known: this.known.size, clientIds: this.byClientId.size, trades };
  }
}

function windowOf<T>(windows: Map<string, Window<T>>, account: string, capacity: number): Window<T> {
  let w = windows.get(account);
  if (!w) windows.set(account, (w = new Window<T>(capacity)));
  return w;
}
