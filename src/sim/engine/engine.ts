/**
 * The simulated exchange's matching engine: one price-time-priority book per symbol, balances that
 * lock on order entry, settle on fills with maker/taker commission, and release on cancel or
 * expiry, all in exact decimals (balances.ts). Binance Spot semantics: LIMIT (GTC/IOC/FOK), MARKET
 * by quantity or quoteOrderQty, LIMIT_MAKER, trigger orders (triggers.ts), order lists
 * (order-lists.ts), self-trade prevention; errors carry Binance's codes. This file is the engine's
 * operations; matching itself is matching.ts. What is done is kept in bounded windows (book.ts), so
 * memory does not grow with time.
 */
import type { Decimal } from '../../model/decimal.js';
import { Book, type Level } from './book.js';
import { clientKey, generateClientOrderId } from './client-ids.js';
import { MatchingCore, outcomeOf, type Outcome } from './matching.js';
import type { ListRef, OcoRequest, OtoRequest } from './order-lists.js';
import { checkNotTriggered } from './triggers.js';
import {
  ExchangeError,
  isTrigger,
  type Balance,
  type EngineEvent,
  type NewOrderRequest,
  type OrderListView,
  type PreventedMatch,
  type PreventedMatchRecord,
  type SimFill,
  type SimOrder,
  type SimTrade,
  type SymbolSpec,
} from './types.js';

export type { EngineOptions } from './matching.js';

export interface PlaceResult {
  order: SimOrder;
  fills: SimFill[];
  events: EngineEvent[];
  preventedMatches: PreventedMatch[];
}

export interface ListResult {
  list: OrderListView;
  events: EngineEvent[];
}

type OrderRef = { orderId?: number; origClientOrderId?: string };

/** DELETE order's `cancelRestrictions`: which status the order must have to be canceled. */
export type CancelRestriction = 'ONLY_NEW' | 'ONLY_PARTIALLY_FILLED';

export class MatchingEngine extends MatchingCore {
  // ---- symbols and balances --------------------------------------------------------------------

  spec(symbol: string): SymbolSpec {
    return this.book(symbol).spec;
  }

  get symbols(): SymbolSpec[] {
    return [...this.books.values()].map((b) => b.spec);
  }

  deposit(account: string, asset: string, amount: Decimal): void {
    this.money.deposit(account, asset, amount);
  }

  balances(account: string): Map<string, Balance> {
    return this.money.snapshot(account);
  }

  /** Commission collected per asset. */
  get fees(): Map<string, Decimal> {
    return this.money.fees;
  }

  totalOf(asset: string): Decimal {
    return this.money.totalOf(asset);
  }

  /** The symbol's average price (GET avgPrice; market orders' NOTIONAL reference). */
  avgPrice(symbol: string): { mins: number; price: Decimal; closeTime: number } {
    const book = this.book(symbol);
    return { mins: book.avgPrice.mins, ...book.avgPrice.at(this.now()) };
  }

  /** The last trade's price on `symbol` (what trigger orders watch), if any trade happened. */
  lastPrice(symbol: string): Decimal | undefined {
    return this.book(symbol).lastPrice;
  }

  /** Sizes of what the engine holds, over all symbols (memory tests). */
  get retained(): { open: number; known: number; clientIds: number; trades: number } {
    const total = { open: 0, known: 0, clientIds: 0, trades: 0 };
    for (const b of this.books.values()) for (const [k, v] of Object.entries(b.retained)) total[k as keyof typeof total] += v;
    return total;
  }

  // ---- orders ----------------------------------------------------------------------------------

  /** Binance's filters and STP mode checks (what POST /api/v3/order/test runs); throws -1013 and friends. */
  testOrder(req: NewOrderRequest): void {
    const plan = this.plan(req);
    if (isTrigger(req.type)) checkNotTriggered(plan.book, { type: req.type, side: req.side, stopPrice: plan.stopPrice });
  }

  placeOrder(req: NewOrderRequest): PlaceResult {
    const plan = this.plan(req);
    const { book } = plan;
    const time = this.now();
    if (book.openByClientId.has(clientKey(req.account, req.clientOrderId))) throw new ExchangeError(-2010, 'Duplicate order sent.');
    if (req.type === 'LIMIT_MAKER' && this.crosses(book, req.side, plan.price)) throw new ExchangeError(-2010, 'Order would immediately match and take.');
    if (isTrigger(req.type)) checkNotTriggered(book, { type: req.type, side: req.side, stopPrice: plan.stopPrice });
    const order = this.admit(req, plan, time, 'NEW');
    const out = outcomeOf(order.account, time, [{ kind: 'execution', order: { ...order }, execution: 'NEW', time }]);
    if (isTrigger(order.type)) this.hold(book, order);
    else this.work(book, order, out);
    return { order: { ...order }, ...this.finishOperation(book, out) };
  }

  /**
   * Cancels an open order. `cancelClientOrderId` names the cancel itself (Binance's
   * newClientOrderId on DELETE /order), generated if absent. An order of an order list cancels the
   * whole list.
   */
  cancelOrder(account: string, symbol: string, ref: OrderRef, cancelClientOrderId: string = generateClientOrderId(), restriction?: CancelRestriction): { order: SimOrder; events: EngineEvent[]; cancelClientOrderId: string } {
    const book = this.book(symbol);
    const order = this.findOrder(book, account, ref, true);
    if (!order) throw new ExchangeError(-2011, 'Unknown order sent.');
    if ((restriction === 'ONLY_NEW' && order.status !== 'NEW') || (restriction === 'ONLY_PARTIALLY_FILLED' && order.status !== 'PARTIALLY_FILLED')) {
      throw new ExchangeError(-2011, 'Order was not canceled due to cancel restrictions.');
    }
    const out = outcomeOf(account, this.now());
    if (order.orderListId >= 0 && this.lists.executing(order.orderListId)) this.lists.cancelOf(order, cancelClientOrderId, out);
    else this.retire(book, order, out, 'CANCELED', cancelClientOrderId);
    return { order: { ...order }, events: this.finishOperation(book, out).events, cancelClientOrderId };
  }

  getOrder(account: string, symbol: string, ref: OrderRef): SimOrder {
    const order = this.findOrder(this.book(symbol), account, ref, false);
    if (!order) throw new ExchangeError(-2013, 'Order does not exist.');
    return { ...order };
  }

  openOrders(account: string, symbol?: string): SimOrder[] {
    const books = symbol === undefined ? [...this.books.values()] : [this.book(symbol)];
    return books.flatMap((b) => [...b.open.values()].filter((o) => o.account === account).map((o) => ({ ...o })));
  }

  /** The account's orders on `symbol` still remembered (open, and finished ones in their window), by orderId. */
  allOrders(account: string, symbol: string): SimOrder[] {
    return [...this.book(symbol).known.values()].filter((o) => o.account === account).sort((a, b) => a.orderId - b.orderId).map((o) => ({ ...o }));
  }

  /** The account's own trades on `symbol` still in its window, oldest first. */
  myTrades(account: string, symbol: string): SimTrade[] {
    return this.book(symbol).trades(account);
  }

  /** The account's matches self-trade prevention stopped on `symbol`, oldest first. */
  preventedMatches(account: string, symbol: string): PreventedMatchRecord[] {
    return this.book(symbol).preventedMatches(account);
  }

  // ---- order lists -----------------------------------------------------------------------------

  placeOco(req: OcoRequest): ListResult {
    const out = outcomeOf(req.account, this.now());
    const list = this.lists.placeOco(req, out);
    return this.listResult(list, out);
  }

  /** OTO (one pending order) and OTOCO (a pending OCO pair). */
  placeOto(req: OtoRequest): ListResult {
    const out = outcomeOf(req.account, this.now());
    const list = this.lists.placeOto(req, out);
    return this.listResult(list, out);
  }

  cancelOrderList(account: string, symbol: string, ref: ListRef, cancelClientOrderId: string = generateClientOrderId()): ListResult & { cancelClientOrderId: string } {
    const out = outcomeOf(account, this.now());
    const list = this.lists.cancel(account, symbol, ref, cancelClientOrderId, out);
    return { ...this.listResult(list, out), cancelClientOrderId };
  }

  orderList(account: string, ref: ListRef): OrderListView {
    return this.lists.records.get(account, ref);
  }

  orderLists(account: string): OrderListView[] {
    return this.lists.records.all(account);
  }

  /** Whether an order list still executes (its orders are canceled together). */
  listExecuting(orderListId: number): boolean {
    return this.lists.executing(orderListId);
  }

  openOrderLists(account: string): OrderListView[] {
    return this.lists.records.open(account);
  }

  /** The list as it stands after the operation (its orders may have traded or triggered meanwhile). */
  private listResult(list: OrderListView, out: Outcome): ListResult {
    const { events } = this.finishOperation(this.book(list.symbol), out);
    return { list: this.lists.records.get(list.account, { orderListId: list.orderListId }), events };
  }

  // ---- market ----------------------------------------------------------------------------------

  /** Best bid and ask as [price, qty] (undefined when a side is empty), with the update id. */
  best(symbol: string): { updateId: number; bid: [Decimal, Decimal] | undefined; ask: [Decimal, Decimal] | undefined } {
    const book = this.book(symbol);
    const top = (l: Level | undefined) => (l ? ([l.price, l.qty] as [Decimal, Decimal]) : undefined);
    return { updateId: book.updateId, bid: top(book.bids[0]), ask: top(book.asks[0]) };
  }

  /** Top `limit` levels per side as [price, qty], and the book's update id. */
  depth(symbol: string, limit: number): { lastUpdateId: number; bids: [Decimal, Decimal][]; asks: [Decimal, Decimal][] } {
    const book = this.book(symbol);
    const top = (levels: Level[]) => levels.slice(0, limit).map((l) => [l.price, l.qty] as [Decimal, Decimal]);
    return { lastUpdateId: book.updateId, bids: top(book.bids), asks: top(book.asks) };
  }

  /** The contingent rules (lists, triggers), then the balances the operation changed. */
  private finishOperation(book: Book, out: Outcome): { fills: SimFill[]; events: EngineEvent[]; preventedMatches: PreventedMatch[] } {
    this.settle(book, out);
    this.pushBalances(out, book.spec);
    return { fills: out.fills, events: out.events, preventedMatches: out.preventedMatches };
  }

  private findOrder(book: Book, account: string, ref: OrderRef, openOnly: boolean): SimOrder | undefined {
    if (ref.orderId !== undefined) {
      const o = (openOnly ? book.open : book.known).get(ref.orderId);
      return o && o.account === account && (ref.origClientOrderId === undefined || o.clientOrderId === ref.origClientOrderId) ? o : undefined;
    }
    const key = clientKey(account, ref.origClientOrderId ?? '');
    return (openOnly ? book.openByClientId : book.byClientId).get(key); // the latest with that id
  }
}
