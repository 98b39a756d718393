/**
 * Order lists as Binance Spot runs them (rest-api.md, "Order lists"):
 * - OCO: an above and a below order on one side, one of them a stop loss; when either activates (a
 *   trade, even a partial one, or its trigger) the other expires, and the active one works on alone
 *   until it fills or is canceled. Both legs share one lock, the larger of their needs:
 *   the leg that works on the book holds its own need, the other the difference, and a leg that
 *   triggers takes over what it needs from its sibling before it trades.
 * - OTO and OTOCO: a working LIMIT/LIMIT_MAKER order, and one pending order (or an OCO pair) placed
 *   only once the working order is fully filled (PENDING_NEW until then, nothing locked: the funds
 *   may come from the working order's fill). A pending order that cannot lock its funds then is
 *   REJECTED. The working order ending otherwise expires the pending ones.
 * Each change of a list is a listStatus event after its orders' execution reports. The records and
 * the queries are order-list-store.ts.
 */
import { ZERO, max, type Decimal } from '../../model/decimal.js';
import { payAssetOf } from './balances.js';
import type { Book } from './book.js';
import { clientKey } from './client-ids.js';
import type { MatchingCore, Outcome } from './matching.js';
import { OrderListStore, viewOf, type ListRef, type OrderList } from './order-list-store.js';
import { checkNotTriggered, reaches } from './triggers.js';
import { ExchangeError, isTrigger, type ContingencyType, type EngineEvent, type NewOrderRequest, type OrderListView, type SimOrder } from './types.js';

export type { ListRef } from './order-list-store.js';

/** What every list request names: whose, on which symbol, under which listClientOrderId. */
interface ListHeader {
  account: string;
  symbol: string;
  listClientOrderId: string;
}

export interface OcoRequest extends ListHeader {
  above: NewOrderRequest;
  below: NewOrderRequest;
}

export interface OtoRequest extends ListHeader {
  working: NewOrderRequest;
  /** One pending order (OTO) or an OCO pair [above, below] (OTOCO). */
  pending: NewOrderRequest[];
}

const isStopLoss = (o: Pick<SimOrder, 'type'>) => o.type === 'STOP_LOSS' || o.type === 'STOP_LOSS_LIMIT';
const ended = (o: SimOrder) => o.status === 'FILLED' || o.status === 'CANCELED' || o.status === 'EXPIRED' || o.status === 'EXPIRED_IN_MATCH' || o.status === 'REJECTED';
/** The price an OCO leg is placed against the market by: a LIMIT_MAKER's price, a trigger's stop. */
const reference = (r: NewOrderRequest): Decimal => (r.type === 'LIMIT_MAKER' ? (r.price ?? ZERO) : (r.stopPrice ?? ZERO));

/** A list's order leaves PENDING_NEW: NEW, with its execution report. */
function goLive(o: SimOrder, out: Outcome): void {
  o.status = 'NEW';
  o.updateTime = out.time;
  out.events.push({ kind: 'execution', order: { ...o }, execution: 'NEW', time: out.time });
}

/** An OCO pair's structure and prices (Binance's -1165/-1166/-1196/-1197 and -2010 rules). */
function checkPair(above: NewOrderRequest, below: NewOrderRequest, last: Decimal | undefined): void {
  if (above.side === 'SELL') {
    if (isStopLoss(above)) throw new ExchangeError(-1166, 'A limit order in a sell OCO must be above.');
    if (!isStopLoss(below)) throw new ExchangeError(-1197, 'A stop loss order in a sell OCO must be below.');
  } else {
    if (!isStopLoss(above)) throw new ExchangeError(-1196, 'A stop loss order in a buy OCO must be above.');
    if (isStopLoss(below)) throw new ExchangeError(-1165, 'A limit order in a buy OCO must be below.');
  }
  const hi = reference(above);
  const lo = reference(below);
  if (!(hi > lo && (last === undefined || (lo < last && last < hi)))) throw new ExchangeError(-2010, 'The relationship of the prices for the orders is not correct.');
}

export class OrderLists {
  /** The lists remembered, and the queries on them. */
  readonly records: OrderListStore;

  constructor(
    private readonly core: MatchingCore,
    retention: number,
  ) {
    this.records = new OrderListStore(retention);
  }

  // ---- placement -------------------------------------------------------------------------------

  placeOco(req: OcoRequest, out: Outcome): OrderListView {
    const book = this.core.book(req.symbol);
    checkPair(req.above, req.below, book.lastPrice);
    const legs = [req.below, req.above];
    this.checkNew(book, req.account, req.listClientOrderId, legs);
    const plans = legs.map((r) => this.core.plan(r));
    for (const r of legs) {
      if (r.type === 'LIMIT_MAKER' && this.core.crosses(book, r.side, r.price ?? ZERO)) throw new ExchangeError(-2010, 'Order would immediately match and take.');
      if (isTrigger(r.type)) checkNotTriggered(book, { type: r.type, side: r.side, stopPrice: r.stopPrice ?? ZERO });
    }
    const needs = legs.map((r, i) => this.core.lockOf(book, { ...r, price: plans[i]!.price, stopPrice: plans[i]!.stopPrice, selfTradePreventionMode: plans[i]!.stp }, plans[i]!.qty));
    const shares = this.lockPair(book, req.account, legs, needs); // -2010 before anything is admitted
    const list = this.create(req, 'OCO', out.time);
    const orders = legs.map((r, i) => this.core.admit(r, plans[i]!, out.time, 'PENDING_NEW', list.orderListId));
    orders.forEach((o, i) => (o.locked = shares[i]!));
    list.orders = orders;
    list.pair = orders;
    this.records.register(list);
    this.startPair(book, list, out);
    out.events.push(this.statusEvent(list, out.time));
    return viewOf(list);
  }

  placeOto(req: OtoRequest, out: Outcome): OrderListView {
    const book = this.core.book(req.symbol);
    const w = req.working;
    if (req.pending.length === 2) checkPair(req.pending[0]!, req.pending[1]!, undefined);
    const pendingReqs = req.pending.length === 2 ? [req.pending[1]!, req.pending[0]!] : req.pending; // below, above
    this.checkNew(book, req.account, req.listClientOrderId, [w, ...pendingReqs]);
    const workingPlan = this.core.plan(w);
    const pendingPlans = pendingReqs.map((r) => this.core.plan(r));
    if (w.type === 'LIMIT_MAKER' && this.core.crosses(book, w.side, w.price ?? ZERO)) throw new ExchangeError(-2010, 'Order would immediately match and take.');
    const list = this.create(req, 'OTO', out.time);
    const working = this.core.admit(w, workingPlan, out.time, 'NEW', list.orderListId); // locks, or -2010
    const pending = pendingReqs.map((r, i) => this.core.admit(r, pendingPlans[i]!, out.time, 'PENDING_NEW', list.orderListId));
    list.working = working;
    list.pending = pending;
    list.orders = [working, ...pending];
    this.records.register(list);
    out.events.push({ kind: 'execution', order: { ...working }, execution: 'NEW', time: out.time });
    for (const p of pending) {
      book.hold(p);
      out.events.push({ kind: 'execution', order: { ...p }, execution: 'NEW', time: out.time });
    }
    out.events.push(this.statusEvent(list, out.time));
    this.core.work(book, working, out);
    return viewOf(list);
  }

  private checkNew(book: Book, account: string, listClientOrderId: string, legs: NewOrderRequest[]): void {
    if (this.records.isOpen(account, listClientOrderId)) throw new ExchangeError(-2010, 'Duplicate order sent.');
    const ids = new Set<string>();
    for (const r of legs) {
      if (ids.has(r.clientOrderId) || book.openByClientId.has(clientKey(account, r.clientOrderId))) throw new ExchangeError(-2010, 'Duplicate order sent.');
      ids.add(r.clientOrderId);
    }
  }

  private create(req: ListHeader, contingencyType: ContingencyType, time: number): OrderList {
    return { orderListId: this.records.nextId, contingencyType, listClientOrderId: req.listClientOrderId, symbol: req.symbol, account: req.account, transactionTime: time, listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING', orders: [], pending: [], pair: [] };
  }

  /**
   * Locks an OCO pair's funds once: the larger of the two legs' needs, the working (non-trigger)
   * leg holding its own need. Throws -2010 when the account lacks it.
   */
  private lockPair(book: Book, account: string, legs: Pick<SimOrder, 'type' | 'side'>[], needs: Decimal[]): Decimal[] {
    const total = needs.reduce((a, b) => max(a, b), ZERO);
    this.core.money.lock(account, payAssetOf(book.spec, legs[0]!), total);
    const primary = Math.max(0, legs.findIndex((o) => !isTrigger(o.type)));
    return needs.map((need, i) => (i === primary ? need : total - needs[primary]!));
  }

  /** A pair's legs go live: reports NEW, the LIMIT_MAKER rests, the triggers wait. */
  private startPair(book: Book, list: OrderList, out: Outcome, fromLastTrade = false): void {
    for (const o of list.pair) goLive(o, out);
    for (const o of list.pair) {
      if (isTrigger(o.type)) this.core.hold(book, o, fromLastTrade);
      else if (o.type === 'LIMIT_MAKER' && this.core.crosses(book, o.side, o.price)) this.core.retire(book, o, out, 'REJECTED', undefined, 'WOULD_MATCH_IMMEDIATELY');
      else this.core.work(book, o, out);
    }
  }

  // ---- reactions (matching.ts settle) ----------------------------------------------------------

  /** A leg's execution report: the list's rules (see the file comment). */
  react(book: Book, ev: Extract<EngineEvent, { kind: 'execution' }>, out: Outcome): void {
    const list = this.records.byId(ev.order.orderListId);
    if (!list || list.listOrderStatus === 'ALL_DONE' || list.symbol !== ev.order.symbol) return;
    const leg = list.orders.find((o) => o.orderId === ev.order.orderId);
    if (!leg) return;
    if (leg === list.working) {
      if (list.pending.length === 0) return; // its pending orders are placed already
      if (leg.status === 'FILLED') this.placePending(book, list, out);
      else if (ended(leg)) this.finish(book, list, out, 'EXPIRED');
      return;
    }
    if (!list.pair.includes(leg)) return;
    // A leg that trades (even in part) keeps working on its own; only its sibling expires.
    if (ev.execution === 'TRADE') this.finish(book, list, out, 'EXPIRED', leg);
    else if (ended(leg)) this.finish(book, list, out, 'EXPIRED');
  }

  /** A trigger leg of a pair is about to work: it takes the lock it needs from its sibling, which expires. */
  activating(book: Book, order: SimOrder, out: Outcome): void {
    const list = order.orderListId >= 0 ? this.records.byId(order.orderListId) : undefined;
    if (!list || list.listOrderStatus === 'ALL_DONE' || !list.pair.includes(order)) return;
    const need = this.core.lockOf(book, order, order.origQty);
    for (const sibling of list.pair) {
      if (sibling === order || order.locked >= need) continue;
      const moved = sibling.locked < need - order.locked ? sibling.locked : need - order.locked;
      sibling.locked -= moved;
      order.locked += moved;
    }
    this.finish(book, list, out, 'EXPIRED', order);
  }

  /** The working order filled: the pending order (OTO) or pair (OTOCO) goes live. */
  private placePending(book: Book, list: OrderList, out: Outcome): void {
    const pending = list.pending.filter((o) => o.status === 'PENDING_NEW');
    list.pending = [];
    if (pending.length === 2) {
      list.pair = pending;
      try {
        const shares = this.lockPair(book, list.account, pending, pending.map((o) => this.core.lockOf(book, o, o.origQty)));
        pending.forEach((o, i) => (o.locked = shares[i]!));
      } catch (err) {
        if (!(err instanceof ExchangeError)) throw err;
        for (const o of pending) this.core.retire(book, o, out, 'REJECTED');
        this.finish(book, list, out, 'EXPIRED');
        return;
      }
      this.startPair(book, list, out, true);
      out.events.push(this.statusEvent(list, out.time));
      return;
    }
    for (const o of pending) {
      if (o.type === 'LIMIT_MAKER' && this.core.crosses(book, o.side, o.price)) {
        this.core.retire(book, o, out, 'REJECTED', undefined, 'WOULD_MATCH_IMMEDIATELY');
        continue;
      }
      const lock = this.core.lockOf(book, o, o.origQty);
      try {
        this.core.money.lock(o.account, payAssetOf(book.spec, o), lock);
      } catch (err) {
        if (!(err instanceof ExchangeError)) throw err;
        this.core.retire(book, o, out, 'REJECTED');
        continue;
      }
      o.locked = lock;
      goLive(o, out);
      if (isTrigger(o.type)) this.core.hold(book, o, book.lastPrice !== undefined && reaches(o, book.lastPrice));
      else this.core.work(book, o, out);
    }
    this.done(list, out);
  }

  /** Ends every open order of the list but `keep` with `status`, and the list with it. */
  private finish(book: Book, list: OrderList, out: Outcome, status: 'EXPIRED' | 'CANCELED', keep?: SimOrder, cancelClientOrderId?: string): void {
    list.listOrderStatus = 'ALL_DONE'; // first: the reports below must not react again
    for (const o of list.orders) {
      if (o === keep || ended(o)) continue;
      if (o.status === 'PENDING_NEW') o.locked = ZERO;
      this.core.retire(book, o, out, status, cancelClientOrderId);
    }
    this.done(list, out);
  }

  private done(list: OrderList, out: Outcome): void {
    list.listStatusType = 'ALL_DONE';
    list.listOrderStatus = 'ALL_DONE';
    list.transactionTime = out.time;
    this.records.close(list);
    out.events.push(this.statusEvent(list, out.time));
  }

  // ---- cancel ----------------------------------------------------------------------------------

  /** Cancels a whole open list (DELETE orderList, or DELETE order on one of its orders). */
  cancel(account: string, symbol: string, ref: ListRef, cancelClientOrderId: string, out: Outcome): OrderListView {
    const list = this.records.find(account, ref);
    if (!list || list.symbol !== symbol || list.listOrderStatus === 'ALL_DONE') throw new ExchangeError(-2011, 'Order list does not exist.');
    this.finish(this.core.book(symbol), list, out, 'CANCELED', undefined, cancelClientOrderId);
    return viewOf(list);
  }

  /** Whether the list is still executing (its orders cancel together); a finished list's orders are on their own. */
  executing(orderListId: number): boolean {
    return this.records.byId(orderListId)?.listOrderStatus === 'EXECUTING';
  }

  cancelOf(order: SimOrder, cancelClientOrderId: string, out: Outcome): OrderListView {
    return this.cancel(order.account, order.symbol, { orderListId: order.orderListId }, cancelClientOrderId, out);
  }

  private statusEvent(list: OrderList, time: number): EngineEvent {
    return { kind: 'listStatus', list: viewOf(list), time };
  }
}
