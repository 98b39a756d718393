/**
 * The matching core every order goes through, whoever places it (a request, a trigger, an order
 * list's pending leg): Binance's filters, the lock an order takes on entry, matching in price-time
 * priority with self-trade prevention, and what is left resting or expiring. After each operation
 * `settle` runs the contingent rules until nothing changes: order lists react to their legs'
 * executions (order-lists.ts), and trigger orders the trades reached start working (triggers.ts).
 */
import { ZERO, div, min, mul, roundToStep, type Decimal } from '../../model/decimal.js';
import { Balances, buyLock, fillQuote } from './balances.js';
import { Book, DEFAULT_RETENTION, remainingOf, type Level, type Retention } from './book.js';
import { checkNotional, checkPrice, checkQuantity, limitNotional } from './filters.js';
import { OrderLists } from './order-lists.js';
import { Triggers } from './triggers.js';
import {
  DEFAULT_STP,
  ExchangeError,
  STP_MODES,
  atMarket,
  isTrigger,
  type Balance,
  type EngineEvent,
  type ExpiryReason,
  type NewOrderRequest,
  type PreventedMatch,
  type RejectReason,
  type SimFill,
  type SimOrder,
  type SimOrderStatus,
  type SimTrade,
  type StpMode,
  type SymbolSpec,
} from './types.js';
import { available, marketCost, quoteTarget, type Taker } from './walk.js';

export interface EngineOptions {
  /** Commission rates as decimals (0.001 = 0.1%). */
  makerRate: Decimal;
  takerRate: Decimal;
  /** Clock in ms (injectable for deterministic runs). */
  now?: () => number;
  retention?: Retention;
}

/** What a valid order request comes to (filters passed). */
export interface OrderPlan {
  book: Book;
  price: Decimal;
  qty: Decimal;
  stopPrice: Decimal;
  byQuote: boolean;
  stp: StpMode;
}

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
}

export const outcomeOf = (account: string, time: number, events: EngineEvent[] = []): Outcome => ({ fills: [], events, preventedMatches: [], touched: new Set([account]), time, reacted: 0 });

export class MatchingCore {
  protected readonly books = new Map<string, Book>();
  readonly money = new Balances();
  readonly now: () => number;
  readonly triggers = new Triggers();
  readonly lists: OrderLists;

  constructor(
    specs: SymbolSpec[],
    protected readonly opts: EngineOptions,
  ) {
    const retention = { ...DEFAULT_RETENTION, ...opts.retention };
    for (const s of specs) this.books.set(s.symbol, new Book(s, retention));
    this.now = opts.now ?? Date.now;
    this.lists = new OrderLists(this, retention.finishedOrders);
  }

  book(symbol: string): Book {
    const book = this.books.get(symbol);
    if (!book) throw new ExchangeError(-1121, 'Invalid symbol.');
    return book;
  }

  /** Binance's filters and STP mode checks for a request (order/test runs only this). */
  plan(req: NewOrderRequest): OrderPlan {
    const book = this.book(req.symbol);
    const spec = book.spec;
    const stp = req.selfTradePreventionMode ?? DEFAULT_STP;
    if (!STP_MODES.includes(stp)) throw new ExchangeError(-1013, 'This symbol does not allow the specified self-trade prevention mode.');
    const market = atMarket(req.type);
    const price = market ? ZERO : (req.price ?? ZERO);
    if (!market) checkPrice(spec, price);
    const stopPrice = isTrigger(req.type) ? (req.stopPrice ?? ZERO) : ZERO;
    if (isTrigger(req.type)) checkPrice(spec, stopPrice);
    const byQuote = req.type === 'MARKET' && req.quoteOrderQty !== undefined && req.quantity === undefined;
    const qty = byQuote ? ZERO : (req.quantity ?? ZERO);
    if (!byQuote) checkQuantity(spec, qty);
    if (!market) checkNotional(spec, limitNotional(price, qty), false);
    else if (byQuote) checkNotional(spec, req.quoteOrderQty!, true);
    else {
      // Binance checks a market order's NOTIONAL at the average price (none before the first trade).
      const avg = book.avgPrice.at(this.now()).price;
      if (avg > ZERO) checkNotional(spec, mul(avg, qty, 'half-even'), true);
    }
    return { book, price, qty, stopPrice, byQuote, stp };
  }

  /** The lock an order of `qty` needs on entry: the most it can spend (see balances.ts). */
  lockOf(book: Book, order: Pick<SimOrder, 'side' | 'type' | 'price' | 'stopPrice' | 'account' | 'selfTradePreventionMode'>, qty: Decimal, quote?: Decimal): Decimal {
    if (order.side === 'SELL') return qty;
    if (!atMarket(order.type)) return buyLock(order.price, qty);
    // A triggered market BUY may spend what its quantity costs at its stop price; past it, the rest expires.
    if (order.type !== 'MARKET') return buyLock(order.stopPrice, qty);
    return quote ?? marketCost(book, { side: order.side, account: order.account, stp: order.selfTradePreventionMode }, qty);
  }

  /**
   * A new order, admitted (known by id and client id) with `status`, holding `lock` if given (the
   * account must have it free: -2010 otherwise). Nothing is matched yet.
   */
  admit(req: NewOrderRequest, plan: OrderPlan, time: number, status: SimOrderStatus, orderListId = -1): SimOrder {
    const { book } = plan;
    const market = req.type === 'MARKET';
    const taker: Taker = { side: req.side, account: req.account, stp: plan.stp };
    const qty = plan.byQuote ? this.quoteQuantity(book, taker, req.quoteOrderQty!) : plan.qty;
    const tif = req.type === 'LIMIT' || req.type === 'STOP_LOSS_LIMIT' || req.type === 'TAKE_PROFIT_LIMIT' ? (req.timeInForce ?? 'GTC') : 'GTC';
    const order: SimOrder = {
      orderId: book.nextOrderId++,
      clientOrderId: req.clientOrderId,
      account: req.account,
      symbol: book.spec.symbol,
      side: req.side,
      type: req.type,
      timeInForce: tif,
      price: plan.price,
      origQty: qty,
      origQuoteOrderQty: plan.byQuote ? req.quoteOrderQty! : ZERO,
      executedQty: ZERO,
      cummulativeQuoteQty: ZERO,
      status,
      time,
      updateTime: time,
      isWorking: false,
      stopPrice: plan.stopPrice,
      orderListId,
      locked: ZERO,
      selfTradePreventionMode: plan.stp,
      preventedQty: ZERO,
    };
    if (status !== 'PENDING_NEW') {
      const lock = this.lockOf(book, order, qty, market && plan.byQuote ? req.quoteOrderQty! : undefined);
      this.money.lock(req.account, this.payAsset(book, order), lock);
      order.locked = lock;
    }
    book.admit(order);
    return order;
  }

  payAsset(book: Book, order: Pick<SimOrder, 'side'>): string {
    return order.side === 'BUY' ? book.spec.quoteAsset : book.spec.baseAsset;
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
    }
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
      const next = this.triggers.next(book, out.events);
      if (!next) return;
      this.lists.activating(book, next, out);
      if (next.status !== 'NEW') continue; // its list expired it
      next.isWorking = true; // it works from now on: execution report NEW with w=true
      next.workingTime = out.time;
      next.updateTime = out.time;
      out.events.push({ kind: 'execution', order: { ...next }, execution: 'NEW', time: out.time });
      next.isWorking = false;
      this.work(book, next, out);
    }
  }

  /** The base quantity of a quoteOrderQty order, within LOT_SIZE, or Binance's refusal. */
  private quoteQuantity(book: Book, taker: Taker, quote: Decimal): Decimal {
    const spec = book.spec;
    const target = quoteTarget(book, taker, quote);
    if (target.qty === ZERO && target.exhausted) throw new ExchangeError(-2010, 'Order book liquidity is less than symbol minimum quantity.');
    const capped = spec.maxQty > ZERO ? min(target.qty, spec.maxQty) : target.qty;
    if (capped < spec.minQty || capped <= ZERO) {
      throw target.exhausted ? new ExchangeError(-2010, 'Order book liquidity is less than LOT_SIZE filter minimum quantity.') : new ExchangeError(-1013, 'Filter failure: LOT_SIZE');
    }
    return spec.minQty + roundToStep(capped - spec.minQty, spec.stepSize, 'down');
  }

  crosses(book: Book, side: 'BUY' | 'SELL', price: Decimal): boolean {
    const best = (side === 'BUY' ? book.asks : book.bids)[0];
    return best !== undefined && (side === 'BUY' ? best.price <= price : best.price >= price);
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
      // Never trade past what the taker locked (a market BUY's lock is what it may spend).
      const affordable = taker.side === 'SELL' ? taker.locked : market ? div(taker.locked, level.price, 'down') : want;
      want = min(want, affordable);
      if (want <= ZERO) return 'funds';
      const maker = level.orders[0]!;
      if (taker.selfTradePreventionMode !== 'NONE' && maker.account === taker.account) {
        if (this.prevent(book, taker, maker, level, want, out)) return 'prevented';
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

  /**
   * Self-trade prevention between `taker` and its own `maker`, by the taker's mode: the maker, the
   * taker or both expire (EXPIRED_IN_MATCH, execution type TRADE_PREVENTION). Returns whether the
   * taker expired.
   */
  private prevent(book: Book, taker: SimOrder, maker: SimOrder, level: Level, want: Decimal, out: Outcome): boolean {
    const spec = book.spec;
    const { time } = out;
    const mode = taker.selfTradePreventionMode;
    const preventedMatchId = book.nextPreventedMatchId++;
    const qty = min(want, remainingOf(maker));
    const would = { qty, price: level.price, quoteQty: fillQuote(level.price, qty) };
    const match: PreventedMatch = { preventedMatchId, makerOrderId: maker.orderId, price: level.price };
    const expire = (order: SimOrder): Decimal => {
      const left = remainingOf(order);
      order.preventedQty += left;
      order.preventedMatchId = preventedMatchId;
      order.status = 'EXPIRED_IN_MATCH';
      order.updateTime = time;
      return left;
    };
    const expireTaker = mode === 'EXPIRE_TAKER' || mode === 'EXPIRE_BOTH';
    if (expireTaker) {
      const left = expire(taker);
      match.takerPreventedQuantity = left;
      out.events.push({ kind: 'execution', order: { ...taker }, execution: 'TRADE_PREVENTION', time, prevention: { counterOrderId: maker.orderId, lastPreventedQty: left, ...would } });
    }
    if (mode === 'EXPIRE_MAKER' || mode === 'EXPIRE_BOTH') {
      const left = remainingOf(maker);
      level.orders.shift();
      level.qty -= left;
      if (level.orders.length === 0) book.side(maker.side).shift();
      expire(maker);
      match.makerPreventedQuantity = left;
      this.money.release(spec, maker);
      book.finish(maker);
      book.updateId++;
      out.touched.add(maker.account);
      out.events.push(
        { kind: 'book', symbol: spec.symbol, side: maker.side, price: level.price, qty: level.orders.length === 0 ? ZERO : level.qty, updateId: book.updateId },
        { kind: 'execution', order: { ...maker }, execution: 'TRADE_PREVENTION', time, prevention: { counterOrderId: taker.orderId, lastPreventedQty: left, ...would } },
      );
    }
    out.preventedMatches.push(match);
    book.recordPrevented({ symbol: spec.symbol, account: taker.account, preventedMatchId, takerOrderId: taker.orderId, makerOrderId: maker.orderId, selfTradePreventionMode: mode, price: level.price, transactTime: time, ...(match.takerPreventedQuantity !== undefined ? { takerPreventedQuantity: match.takerPreventedQuantity } : {}), ...(match.makerPreventedQuantity !== undefined ? { makerPreventedQuantity: match.makerPreventedQuantity } : {}) });
    return expireTaker;
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
