/**
 * The matching core every order goes through, whoever places it (a request, a trigger, an order
 * list's pending leg), once admitted (order-entry.ts): matching in price-time priority with
 * self-trade prevention (self-trade.ts), and what is left resting or expiring. After each operation
 * `settle` runs the contingent rules until nothing changes: order lists react to their legs'
 * executions (order-lists.ts), and trigger orders the trades reached start working (triggers.ts).
 */
import { ZERO, div, min, roundToStep, type Decimal } from '../../model/decimal.js';
import { fillQuote, payAssetOf } from './balances.js';
import { remainingOf, type Book, type Level } from './book.js';
import { OrderEntry, type EngineOptions } from './order-entry.js';
import { OrderLists } from './order-lists.js';
import { preventSelfTrade } from './self-trade.js';
import { Triggers } from './triggers.js';
import { ExchangeError, atMarket, isTrigger, type Balance, type EngineEvent, type ExpiryReason, type PreventedMatch, type RejectReason, type SimFill, type SimOrder, type SimTrade, type SymbolSpec } from './types.js';
import { available, marketCost, type Taker } from './walk.js';

export type { EngineOptions, OrderPlan } from './order-entry.js';

/** Why matching stopped. */
type Stop = 'filled' | 'limit' | 'liquidity' | 'funds' | 'prevented';

/** Everything one operation produces, gathered as matching goes. */
export interface Outcome {
  fills: SimFill[];
  events: EngineEvent[];
  preventedMatches: PreventedMatch[];
  touched: Set<string>;
  time: number;
  /** How many of `events` the order lists have seen (settle). */
  reacted: number;
  /** How many of `events` the trigger orders have scanned for trades (settle). */
  scanned: number;
}

export const outcomeOf = (account: string, time: number, events: EngineEvent[] = []): Outcome => ({ fills: [], events, preventedMatches: [], touched: new Set([account]), time, reacted: 0, scanned: 0 });

export class MatchingCore extends OrderEntry {
  readonly triggers = new Triggers();
  readonly lists: OrderLists;

  constructor(specs: SymbolSpec[], opts: EngineOptions) {
    super(specs, opts);
    this.lists = new OrderLists(this, this.retention.finishedOrders);
  }

  /** Puts a trigger order or a pending leg among the open orders without working it. */
  hold(book: Book, order: SimOrder, fromLastTrade = false): void {
    book.hold(order);
    if (isTrigger(order.type) && order.status === 'NEW') this.triggers.hold(book, order, fromLastTrade);
  }

  /** Works an admitted order: FOK's look-ahead, matching, then it rests (GTC limits), fills or expires. */
  work(book: Book, order: SimOrder, out: Outcome): void {
    const spec = book.spec;
    const market = atMarket(order.type);
    const taker: Taker = market ? { side: order.side, account: order.account, stp: order.selfTradePreventionMode } : { side: order.side, account: order.account, stp: order.selfTradePreventionMode, limit: order.price };
    const fillable = order.timeInForce !== 'FOK' || available(book, taker) >= remainingOf(order);
    const stop: Stop = fillable ? this.match(book, order, out) : 'liquidity';
    if (order.origQuoteOrderQty > ZERO && stop === 'funds' && order.executedQty > ZERO) {
      // A quoteOrderQty order that spent its quote (to the last whole step) is filled.
      order.origQty = order.executedQty;
      order.status = 'FILLED';
    }
    const rest = remainingOf(order);
    if (order.status === 'FILLED' || order.status === 'EXPIRED_IN_MATCH') {
      this.money.release(spec, order);
      book.finish(order);
    } else if (!market && order.timeInForce === 'GTC' && rest > ZERO) {
      book.rest(order, rest);
      book.updateId++;
      out.events.push({ kind: 'book', symbol: spec.symbol, side: order.side, price: order.price, qty: book.levelQty(order.side, order.price), updateId: book.updateId });
    } else {
      // IOC/FOK/MARKET remainder expires; its lock goes back.
      order.expiryReason = expiryReasonOf(order);
      this.retire(book, order, out, 'EXPIRED');
    }
  }

  /**
   * Ends an open order that did not trade to its end: off the book, lock released, finished, with
   * its execution report (CANCELED carries the cancel's own client id).
   */
  retire(book: Book, order: SimOrder, out: Outcome, status: 'CANCELED' | 'EXPIRED' | 'REJECTED', cancelClientOrderId?: string, rejectReason: RejectReason = 'INSUFFICIENT_BALANCES'): void {
    const time = out.time;
    if (order.isWorking) {
      book.unrest(order);
      book.updateId++;
      out.events.push({ kind: 'book', symbol: book.spec.symbol, side: order.side, price: order.price, qty: book.levelQty(order.side, order.price), updateId: book.updateId });
    } else if (isTrigger(order.type) && order.status === 'NEW') this.triggers.drop(order);
    order.status = status;
    order.updateTime = time;
    this.money.release(book.spec, order);
    book.finish(order);
    out.touched.add(order.account);
    out.events.push({
      kind: 'execution',
      order: { ...order },
      execution: status,
      time,
      ...(cancelClientOrderId !== undefined ? { cancelClientOrderId } : {}),
      ...(status === 'REJECTED' ? { rejectReason } : {}),
    });
  }

  /** Runs the contingent rules after an operation until nothing changes (see the file comment). */
  settle(book: Book, out: Outcome): void {
    for (;;) {
      while (out.reacted < out.events.length) {
        const ev = out.events[out.reacted++]!;
        if (ev.kind === 'execution' && ev.order.orderListId >= 0) this.lists.react(book, ev, out);
      }
      const next = this.triggers.next(book, out);
      if (!next) return;
      this.lists.activating(book, next, out);
      if (next.status !== 'NEW') continue; // its list expired it
      next.isWorking = true; // it works from now on: execution report NEW with w=true
      next.workingTime = out.time;
      next.updateTime = out.time;
      out.events.push({ kind: 'execution', order: { ...next }, execution: 'NEW', time: out.time });
      next.isWorking = false;
      if (this.fundAtMarket(book, next)) this.work(book, next, out);
      else {
        next.expiryReason = 'REJECTED';
        this.retire(book, next, out, 'EXPIRED');
      }
    }
  }

  /**
   * A triggered market BUY (STOP_LOSS, TAKE_PROFIT) buys its quantity at market, as a MARKET order
   * does: its lock (the cost at its stop price, taken on placement) is topped up from the account's
   * free balance to what the quantity costs on the book now. False when the account cannot pay that:
   * a MARKET order without the balance to fill completely is refused (market_orders_faq.md), so the
   * order expires without trading.
   */
  private fundAtMarket(book: Book, order: SimOrder): boolean {
    if (order.side !== 'BUY' || !atMarket(order.type)) return true;
    const cost = marketCost(book, { side: order.side, account: order.account, stp: order.selfTradePreventionMode }, remainingOf(order));
    if (cost <= order.locked) return true;
    try {
      this.money.lock(order.account, payAssetOf(book.spec, order), cost - order.locked);
    } catch (err) {
      if (err instanceof ExchangeError) return false;
      throw err;
    }
    order.locked = cost;
    return true;
  }

  /** Matches `taker` against the opposite side; says why it stopped. */
  private match(book: Book, taker: SimOrder, out: Outcome): Stop {
    const opposite = taker.side === 'BUY' ? book.asks : book.bids;
    const market = atMarket(taker.type);
    const limit = market ? undefined : taker.price;
    while (opposite.length > 0) {
      const level = opposite[0]!;
      if (limit !== undefined && (taker.side === 'BUY' ? level.price > limit : level.price < limit)) return 'limit';
      let want = remainingOf(taker);
      if (want <= ZERO) return 'filled';
      // Never trade past what the taker locked (a market BUY's lock is what it may spend), in whole steps.
      const affordable = taker.side === 'SELL' ? taker.locked : market ? roundToStep(div(taker.locked, level.price, 'down'), book.spec.stepSize, 'down') : want;
      want = min(want, affordable);
      if (want <= ZERO) return 'funds';
      const maker = level.orders[0]!;
      if (taker.selfTradePreventionMode !== 'NONE' && maker.account === taker.account) {
        if (preventSelfTrade(book, this.money, taker, maker, level, want, out)) return 'prevented';
        continue;
      }
      const qty = min(want, remainingOf(maker));
      this.fill(book, taker, maker, level, qty, out);
      if (remainingOf(maker) === ZERO) {
        level.orders.shift();
        this.money.release(book.spec, maker);
        book.finish(maker);
      }
      if (level.orders.length === 0) opposite.shift();
    }
    return remainingOf(taker) === ZERO ? 'filled' : 'liquidity';
  }

  /** One trade between taker and maker at the maker's level: money, records, events. */
  private fill(book: Book, taker: SimOrder, maker: SimOrder, level: Level, qty: Decimal, out: Outcome): void {
    const spec = book.spec;
    const { time } = out;
    const price = level.price;
    const quote = fillQuote(price, qty);
    const tradeId = book.nextTradeId++;
    book.avgPrice.record(time, price, qty, quote);
    book.lastPrice = price;
    const makerTrade = this.money.settle(spec, maker, { tradeId, price, qty, quote, rate: this.opts.makerRate, isMaker: true, time });
    const takerTrade = this.money.settle(spec, taker, { tradeId, price, qty, quote, rate: this.opts.takerRate, isMaker: false, time });
    book.recordTrade(makerTrade);
    book.recordTrade(takerTrade);
    maker.status = remainingOf(maker) === ZERO ? 'FILLED' : 'PARTIALLY_FILLED';
    taker.status = remainingOf(taker) === ZERO ? 'FILLED' : 'PARTIALLY_FILLED';
    level.qty -= qty;
    out.touched.add(maker.account);
    out.touched.add(taker.account); // not the operation's own account when a trigger or a list's leg trades
    const takerFill = fillOf(takerTrade);
    out.fills.push(takerFill);
    book.updateId++;
    out.events.push(
      { kind: 'book', symbol: spec.symbol, side: maker.side, price, qty: level.qty, updateId: book.updateId },
      { kind: 'trade', trade: { symbol: spec.symbol, tradeId, takerOrderId: taker.orderId, price, qty, time, buyerIsMaker: maker.side === 'BUY' } },
      { kind: 'execution', order: { ...taker }, execution: 'TRADE', fill: takerFill, time },
      { kind: 'execution', order: { ...maker }, execution: 'TRADE', fill: fillOf(makerTrade), time },
    );
  }

  /** One outboundAccountPosition per account the operation touched (base and quote of the symbol). */
  pushBalances(out: Outcome, spec: SymbolSpec): void {
    for (const account of out.touched) {
      const balances = new Map<string, Balance>();
      for (const asset of [spec.baseAsset, spec.quoteAsset]) balances.set(asset, { ...this.money.of(account, asset) });
      out.events.push({ kind: 'balances', account, balances, time: out.time });
    }
  }
}

/** A side's view of a trade, as its execution report and the FULL response show it. */
function fillOf(t: SimTrade): SimFill {
  return { price: t.price, qty: t.qty, quoteQty: t.quoteQty, commission: t.commission, commissionAsset: t.commissionAsset, tradeId: t.id, isMaker: t.isMaker };
}

function expiryReasonOf(order: SimOrder): ExpiryReason {
  if (atMarket(order.type)) return 'INSUFFICIENT_LIQUIDITY';
  return order.timeInForce === 'FOK' ? 'UNFILLED_FOK_ORDER_EXPIRED' : 'UNFILLED_IOC_QUANTITY_EXPIRED';
}
