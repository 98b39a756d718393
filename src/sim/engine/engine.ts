/**
 * The simulated exchange's matching engine: one price-time-priority book per symbol, balances that
 * lock on order entry, settle on fills with maker/taker commission, and release on cancel or
 * expiry, all in exact decimals (balances.ts). Binance Spot semantics: LIMIT (GTC/IOC/FOK), MARKET
 * by quantity or quoteOrderQty, LIMIT_MAKER, self-trade prevention; errors carry Binance's codes.
 * What is done is kept in bounded windows (book.ts), so memory does not grow with time.
 */
import { ZERO, div, min, mul, roundToStep, type Decimal } from '../../model/decimal.js';
import { Balances, buyLock, fillQuote } from './balances.js';
import { Book, DEFAULT_RETENTION, remainingOf, type Level, type Retention } from './book.js';
import { generateClientOrderId } from './client-ids.js';
import { checkNotional, checkPrice, checkQuantity, limitNotional } from './filters.js';
import {
  DEFAULT_STP,
  ExchangeError,
  STP_MODES,
  type Balance,
  type EngineEvent,
  type ExpiryReason,
  type NewOrderRequest,
  type PreventedMatch,
  type SimFill,
  type SimOrder,
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

export interface PlaceResult {
  order: SimOrder;
  fills: SimFill[];
  events: EngineEvent[];
  preventedMatches: PreventedMatch[];
}

type OrderRef = { orderId?: number; origClientOrderId?: string };

/** What a valid order request comes to (filters passed). */
interface OrderPlan {
  book: Book;
  price: Decimal;
  qty: Decimal;
  byQuote: boolean;
  stp: StpMode;
}

/** Why matching stopped. */
type Stop = 'filled' | 'limit' | 'liquidity' | 'funds' | 'prevented';

/** Everything one operation produces, gathered as matching goes. */
interface Outcome {
  fills: SimFill[];
  events: EngineEvent[];
  preventedMatches: PreventedMatch[];
  touched: Set<string>;
  time: number;
}

export class MatchingEngine {
  private readonly books = new Map<string, Book>();
  private readonly money = new Balances();
  private readonly now: () => number;

  constructor(
    specs: SymbolSpec[],
    private readonly opts: EngineOptions,
  ) {
    const retention = { ...DEFAULT_RETENTION, ...opts.retention };
    for (const s of specs) this.books.set(s.symbol, new Book(s, retention));
    this.now = opts.now ?? Date.now;
  }

  // ---- symbols and balances --------------------------------------------------------------------

  spec(symbol: string): SymbolSpec {
    return this.book(symbol).spec;
  }

  get symbols(): SymbolSpec[] {
    return [...this.books.values()].map((b) => b.spec);
  }

  private book(symbol: string): Book {
    const book = this.books.get(symbol);
    if (!book) throw new ExchangeError(-1121, 'Invalid symbol.');
    return book;
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

  /** Sizes of what the engine holds, over all symbols (memory tests). */
  get retained(): { open: number; known: number; clientIds: number; trades: number } {
    const total = { open: 0, known: 0, clientIds: 0, trades: 0 };
    for (const b of this.books.values()) for (const [k, v] of Object.entries(b.retained)) total[k as keyof typeof total] += v;
    return total;
  }

  // ---- orders ----------------------------------------------------------------------------------

  /** Binance's filters and STP mode checks (what POST /api/v3/order/test runs); throws -1013 and friends. */
  testOrder(req: NewOrderRequest): void {
    this.plan(req);
  }

  private plan(req: NewOrderRequest): OrderPlan {
    const book = this.book(req.symbol);
    const spec = book.spec;
    const stp = req.selfTradePreventionMode ?? DEFAULT_STP;
    if (!STP_MODES.includes(stp)) throw new ExchangeError(-1013, 'This symbol does not allow the specified self-trade prevention mode.');
    const market = req.type === 'MARKET';
    const price = market ? ZERO : (req.price ?? ZERO);
    if (!market) checkPrice(spec, price);
    const byQuote = market && req.quoteOrderQty !== undefined && req.quantity === undefined;
    const qty = byQuote ? ZERO : (req.quantity ?? ZERO);
    if (!byQuote) checkQuantity(spec, qty);
    if (!market) checkNotional(spec, limitNotional(price, qty), false);
    else if (byQuote) checkNotional(spec, req.quoteOrderQty!, true);
    else {
      // Binance checks a market order's NOTIONAL at the average price (none before the first trade).
      const avg = book.avgPrice.at(this.now()).price;
      if (avg > ZERO) checkNotional(spec, mul(avg, qty, 'half-even'), true);
    }
    return { book, price, qty, byQuote, stp };
  }

  placeOrder(req: NewOrderRequest): PlaceResult {
    const plan = this.plan(req);
    const { book, price, byQuote, stp } = plan;
    const spec = book.spec;
    const time = this.now();
    const tif = req.type === 'LIMIT' ? (req.timeInForce ?? 'GTC') : 'GTC';
    if (book.openByClientId.has(Book.clientKey(req.account, req.clientOrderId))) throw new ExchangeError(-2010, 'Duplicate order sent.');
    const market = req.type === 'MARKET';
    // The look-ahead's view of this order (FOK, market and quote orders only: a GTC limit needs none).
    const taker: Taker = market ? { side: req.side, account: req.account, stp } : { side: req.side, account: req.account, stp, limit: price };
    if (req.type === 'LIMIT_MAKER' && this.crosses(book, req.side, price)) throw new ExchangeError(-2010, 'Order would immediately match and take.');
    const qty = byQuote ? this.quoteQuantity(book, taker, req.quoteOrderQty!) : plan.qty;

    // What the order must lock now: the most it can spend.
    let lock: Decimal;
    if (req.side === 'SELL') lock = qty;
    else if (!market) lock = buyLock(price, qty);
    else lock = byQuote ? req.quoteOrderQty! : marketCost(book, taker, qty);
    this.money.lock(req.account, req.side === 'BUY' ? spec.quoteAsset : spec.baseAsset, lock);

    const order: SimOrder = {
      orderId: book.nextOrderId++,
      clientOrderId: req.clientOrderId,
      account: req.account,
      symbol: spec.symbol,
      side: req.side,
      type: req.type,
      timeInForce: tif,
      price,
      origQty: qty,
      origQuoteOrderQty: byQuote ? req.quoteOrderQty! : ZERO,
      executedQty: ZERO,
      cummulativeQuoteQty: ZERO,
      status: 'NEW',
      time,
      updateTime: time,
      isWorking: false,
      locked: lock,
      selfTradePreventionMode: stp,
      preventedQty: ZERO,
    };
    book.admit(order);
    const out: Outcome = { fills: [], events: [{ kind: 'execution', order: { ...order }, execution: 'NEW', time }], preventedMatches: [], touched: new Set([order.account]), time };

    const fillable = tif !== 'FOK' || available(book, taker) >= qty;
    const stop: Stop = fillable ? this.match(book, order, out) : 'liquidity';
    if (byQuote && stop === 'funds' && order.executedQty > ZERO) {
      // A quoteOrderQty order that spent its quote (to the last whole step) is filled.
      order.origQty = order.executedQty;
      order.status = 'FILLED';
    }
    const rest = remainingOf(order);
    if (order.status === 'FILLED' || order.status === 'EXPIRED_IN_MATCH') {
      this.money.release(spec, order);
      book.finish(order);
    } else if (!market && tif === 'GTC' && rest > ZERO) {
      book.rest(order, rest);
      book.updateId++;
      out.events.push({ kind: 'book', symbol: spec.symbol, side: order.side, price: order.price, qty: book.levelQty(order.side, order.price), updateId: book.updateId });
    } else {
      // IOC/FOK/MARKET remainder expires; its lock goes back.
      order.status = 'EXPIRED';
      order.expiryReason = expiryReasonOf(order);
      order.updateTime = time;
      this.money.release(spec, order);
      book.finish(order);
      out.events.push({ kind: 'execution', order: { ...order }, execution: 'EXPIRED', time });
    }
    this.pushBalances(out, spec);
    return { order: { ...order }, fills: out.fills, events: out.events, preventedMatches: out.preventedMatches };
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

  /**
   * Cancels an open order. `cancelClientOrderId` names the cancel itself (Binance's
   * newClientOrderId on DELETE /order), generated if absent.
   */
  cancelOrder(account: string, symbol: string, ref: OrderRef, cancelClientOrderId: string = generateClientOrderId()): { order: SimOrder; events: EngineEvent[]; cancelClientOrderId: string } {
    const book = this.book(symbol);
    const order = this.findOrder(book, account, ref, true);
    if (!order) throw new ExchangeError(-2011, 'Unknown order sent.');
    const time = this.now();
    book.unrest(order);
    book.updateId++;
    order.status = 'CANCELED';
    order.updateTime = time;
    this.money.release(book.spec, order);
    book.finish(order);
    const out: Outcome = { fills: [], events: [], preventedMatches: [], touched: new Set([account]), time };
    out.events.push(
      { kind: 'book', symbol, side: order.side, price: order.price, qty: book.levelQty(order.side, order.price), updateId: book.updateId },
      { kind: 'execution', order: { ...order }, execution: 'CANCELED', time, cancelClientOrderId },
    );
    this.pushBalances(out, book.spec);
    return { order: { ...order }, events: out.events, cancelClientOrderId };
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

  /** The account's own trades on `symbol` still in its window, oldest first. */
  myTrades(account: string, symbol: string): SimTrade[] {
    return this.book(symbol).trades(account);
  }

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

  private findOrder(book: Book, account: string, ref: OrderRef, openOnly: boolean): SimOrder | undefined {
    if (ref.orderId !== undefined) {
      const o = (openOnly ? book.open : book.known).get(ref.orderId);
      return o && o.account === account && (ref.origClientOrderId === undefined || o.clientOrderId === ref.origClientOrderId) ? o : undefined;
    }
    const key = Book.clientKey(account, ref.origClientOrderId ?? '');
    return (openOnly ? book.openByClientId : book.byClientId).get(key); // the latest with that id
  }

  // ---- matching --------------------------------------------------------------------------------

  private crosses(book: Book, side: 'BUY' | 'SELL', price: Decimal): boolean {
    const best = (side === 'BUY' ? book.asks : book.bids)[0];
    return best !== undefined && (side === 'BUY' ? best.price <= price : best.price >= price);
  }

  /** Matches `taker` against the opposite side; says why it stopped. */
  private match(book: Book, taker: SimOrder, out: Outcome): Stop {
    const opposite = taker.side === 'BUY' ? book.asks : book.bids;
    const limit = taker.type === 'MARKET' ? undefined : taker.price;
    while (opposite.length > 0) {
      const level = opposite[0]!;
      if (limit !== undefined && (taker.side === 'BUY' ? level.price > limit : level.price < limit)) return 'limit';
      let want = remainingOf(taker);
      if (want <= ZERO) return 'filled';
      // Never trade past what the taker locked (a market BUY's lock is what it may spend).
      const affordable = taker.side === 'SELL' ? taker.locked : taker.type === 'MARKET' ? div(taker.locked, level.price, 'down') : want;
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
    return expireTaker;
  }

  private pushBalances(out: Outcome, spec: SymbolSpec): void {
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
  if (order.type === 'MARKET') return 'INSUFFICIENT_LIQUIDITY';
  return order.timeInForce === 'FOK' ? 'UNFILLED_FOK_ORDER_EXPIRED' : 'UNFILLED_IOC_QUANTITY_EXPIRED';
}

