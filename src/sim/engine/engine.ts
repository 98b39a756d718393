/**
 * The simulated exchange's matching engine: one price-time-priority book per symbol, balances that
 * lock on order entry, settle on fills with maker/taker commission, and release on cancel or
 * expiry, all in exact decimals. Binance Spot semantics: LIMIT (GTC/IOC/FOK), MARKET by quantity
 * or quoteOrderQty, LIMIT_MAKER; errors carry Binance's codes.
 *
 * Money conservation is the invariant: for every asset, the sum of free + locked over all accounts
 * plus the commission collected equals what was deposited.
 */
import { ZERO, div, min, mul, roundToStep, type Decimal } from '../../model/decimal.js';
import { checkNotional, checkPrice, checkQuantity, limitNotional } from './filters.js';
import {
  ExchangeError,
  type Balance,
  type EngineEvent,
  type NewOrderRequest,
  type SimFill,
  type SimOrder,
  type SimSide,
  type SimTrade,
  type SymbolSpec,
} from './types.js';

interface Level {
  price: Decimal;
  orders: SimOrder[];
  /** Sum of the resting orders' remaining quantity. */
  qty: Decimal;
}

class Book {
  /** Best first: bids descending, asks ascending. */
  readonly bids: Level[] = [];
  readonly asks: Level[] = [];
  updateId = 0;
  /** Last trade price: the reference for market orders' NOTIONAL check (0 before any trade). */
  lastPrice: Decimal = 0n;
  nextOrderId = 1;
  nextTradeId = 1;
  readonly open = new Map<number, SimOrder>();
  readonly all = new Map<number, SimOrder>();
  /** account + clientOrderId -> the latest order with that id, and the open one if any. */
  readonly byClientId = new Map<string, SimOrder>();
  readonly openByClientId = new Map<string, SimOrder>();

  constructor(readonly spec: SymbolSpec) {}

  side(side: SimSide): Level[] {
    return side === 'BUY' ? this.bids : this.asks;
  }

  /** Index of the level at `price`, or where it would be inserted. */
  private find(levels: Level[], price: Decimal, descending: boolean): { index: number; found: boolean } {
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

  static clientKey(account: string, clientOrderId: string): string {
    return `${account}\u0000${clientOrderId}`;
  }

  /** Forgets an order as open (cancelled, filled). */
  close(order: SimOrder): void {
    this.open.delete(order.orderId);
    const key = Book.clientKey(order.account, order.clientOrderId);
    if (this.openByClientId.get(key) === order) this.openByClientId.delete(key);
  }

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
    this.open.set(order.orderId, order);
    this.openByClientId.set(Book.clientKey(order.account, order.clientOrderId), order);
  }

  remove(order: SimOrder, remaining: Decimal): Level | undefined {
    const levels = this.side(order.side);
    const { index, found } = this.find(levels, order.price, order.side === 'BUY');
    this.close(order);
    if (!found) return undefined;
    const level = levels[index]!;
    const i = level.orders.indexOf(order);
    if (i >= 0) level.orders.splice(i, 1);
    level.qty -= remaining;
    if (level.orders.length === 0) levels.splice(index, 1);
    return level;
  }
}

export interface EngineOptions {
  /** Commission rates as decimals (0.001 = 0.1%). */
  makerRate: Decimal;
  takerRate: Decimal;
  /** Clock in ms (injectable for deterministic runs). */
  now?: () => number;
}

export interface PlaceResult {
  order: SimOrder;
  fills: SimFill[];
  events: EngineEvent[];
}

const remainingOf = (o: SimOrder) => o.origQty - o.executedQty;

export class MatchingEngine {
  private readonly books = new Map<string, Book>();
  private readonly accounts = new Map<string, Map<string, Balance>>();
  private readonly trades = new Map<string, SimTrade[]>();
  /** Commission collected per asset (for the conservation invariant). */
  readonly fees = new Map<string, Decimal>();
  private readonly now: () => number;

  constructor(
    specs: SymbolSpec[],
    private readonly opts: EngineOptions,
  ) {
    for (const s of specs) this.books.set(s.symbol, new Book(s));
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

  private balance(account: string, asset: string): Balance {
    let assets = this.accounts.get(account);
    if (!assets) this.accounts.set(account, (assets = new Map()));
    let b = assets.get(asset);
    if (!b) assets.set(asset, (b = { free: ZERO, locked: ZERO }));
    return b;
  }

  deposit(account: string, asset: string, amount: Decimal): void {
    this.balance(account, asset).free += amount;
  }

  balances(account: string): Map<string, Balance> {
    return new Map([...(this.accounts.get(account) ?? new Map<string, Balance>())].map(([a, b]) => [a, { ...b }]));
  }

  /** Sum over accounts of free + locked, plus fees: what the conservation invariant checks. */
  totalOf(asset: string): Decimal {
    let total = this.fees.get(asset) ?? ZERO;
    for (const assets of this.accounts.values()) {
      const b = assets.get(asset);
      if (b) total += b.free + b.locked;
    }
    return total;
  }

  // ---- orders ----------------------------------------------------------------------------------

  placeOrder(req: NewOrderRequest): PlaceResult {
    const book = this.book(req.symbol);
    const spec = book.spec;
    const time = this.now();
    const tif = req.type === 'LIMIT' ? (req.timeInForce ?? 'GTC') : 'GTC';
    if (book.openByClientId.has(Book.clientKey(req.account, req.clientOrderId))) throw new ExchangeError(-2010, 'Duplicate order sent.');

    const market = req.type === 'MARKET';
    let price = ZERO;
    if (!market) {
      price = req.price ?? ZERO;
      checkPrice(spec, price);
    }
    const byQuote = market && req.quoteOrderQty !== undefined && req.quantity === undefined;
    const qty = byQuote ? ZERO : (req.quantity ?? ZERO);
    if (!byQuote) checkQuantity(spec, qty);
    if (!market) checkNotional(spec, limitNotional(price, qty), false);
    if (req.type === 'LIMIT_MAKER' && this.crosses(book, req.side, price)) {
      throw new ExchangeError(-2010, 'Order would immediately match and take.');
    }

    // What the order must lock now: the most it can spend.
    const payAsset = req.side === 'BUY' ? spec.quoteAsset : spec.baseAsset;
    let lock: Decimal;
    if (!market) lock = req.side === 'BUY' ? mul(price, qty, 'up') : qty;
    else if (req.side === 'BUY') lock = byQuote ? req.quoteOrderQty! : this.marketCost(book, qty);
    else lock = byQuote ? this.marketBaseFor(book, req.quoteOrderQty!) : qty;
    // Binance checks a market order's NOTIONAL at the symbol's average price; the sim uses the
    // last trade price (and skips the check before the first trade).
    if (market && (byQuote || book.lastPrice > 0n)) {
      checkNotional(spec, byQuote ? req.quoteOrderQty! : mul(book.lastPrice, qty, 'half-even'), true);
    }
    const payer = this.balance(req.account, payAsset);
    if (payer.free < lock) throw new ExchangeError(-2010, 'Account has insufficient balance for requested action.');
    payer.free -= lock;
    payer.locked += lock;

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
    };
    book.all.set(order.orderId, order);
    book.byClientId.set(Book.clientKey(order.account, order.clientOrderId), order);
    const events: EngineEvent[] = [{ kind: 'execution', order: { ...order }, execution: 'NEW', time }];
    const touched = new Set<string>([order.account]);
    const fills: SimFill[] = [];

    const fillable = tif !== 'FOK' || this.available(book, req.side, market ? undefined : price) >= qty;
    const stop = fillable ? this.match(book, order, byQuote ? req.quoteOrderQty! : undefined, fills, events, touched, time) : 'unfillable';
    if (byQuote && order.executedQty > 0n && stop === 'budget') {
      // A quoteOrderQty order that spent its budget (to the last whole step) is filled.
      order.status = 'FILLED';
      this.releaseLock(order);
    }

    const rest = remainingOf(order);
    if (order.type !== 'MARKET' && tif === 'GTC' && rest > 0n && order.status !== 'FILLED') {
      order.isWorking = true;
      book.rest(order, rest);
      book.updateId++;
      events.push({ kind: 'book', symbol: spec.symbol, side: order.side, price: order.price, qty: this.levelQty(book, order.side, order.price), updateId: book.updateId });
    } else if (order.status !== 'FILLED') {
      // IOC/FOK/MARKET remainder expires; its lock goes back.
      order.status = 'EXPIRED';
      order.updateTime = time;
      this.releaseLock(order);
      events.push({ kind: 'execution', order: { ...order }, execution: 'EXPIRED', time });
    }
    this.pushBalances(events, touched, spec, time);
    return { order: { ...order }, fills, events };
  }

  cancelOrder(account: string, symbol: string, ref: { orderId?: number; origClientOrderId?: string }): { order: SimOrder; events: EngineEvent[] } {
    const book = this.book(symbol);
    const order = this.findOrder(book, account, ref, true);
    if (!order) throw new ExchangeError(-2011, 'Unknown order sent.');
    const time = this.now();
    book.remove(order, remainingOf(order));
    book.updateId++;
    order.status = 'CANCELED';
    order.isWorking = false;
    order.updateTime = time;
    this.releaseLock(order);
    const events: EngineEvent[] = [
      { kind: 'book', symbol, side: order.side, price: order.price, qty: this.levelQty(book, order.side, order.price), updateId: book.updateId },
      { kind: 'execution', order: { ...order }, execution: 'CANCELED', time },
    ];
    this.pushBalances(events, new Set([account]), book.spec, time);
    return { order: { ...order }, events };
  }

  getOrder(account: string, symbol: string, ref: { orderId?: number; origClientOrderId?: string }): SimOrder {
    const order = this.findOrder(this.book(symbol), account, ref, false);
    if (!order) throw new ExchangeError(-2013, 'Order does not exist.');
    return { ...order };
  }

  openOrders(account: string, symbol?: string): SimOrder[] {
    const books = symbol === undefined ? [...this.books.values()] : [this.book(symbol)];
    return books.flatMap((b) => [...b.open.values()].filter((o) => o.account === account).map((o) => ({ ...o })));
  }

  myTrades(account: string, symbol: string): SimTrade[] {
    this.book(symbol);
    return (this.trades.get(account) ?? []).filter((t) => t.symbol === symbol);
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

  private findOrder(book: Book, account: string, ref: { orderId?: number; origClientOrderId?: string }, openOnly: boolean): SimOrder | undefined {
    if (ref.orderId !== undefined) {
      const o = (openOnly ? book.open : book.all).get(ref.orderId);
      return o && o.account === account && (ref.origClientOrderId === undefined || o.clientOrderId === ref.origClientOrderId) ? o : undefined;
    }
    const key = Book.clientKey(account, ref.origClientOrderId ?? '');
    return (openOnly ? book.openByClientId : book.byClientId).get(key); // the latest with that id
  }

  // ---- matching --------------------------------------------------------------------------------

  private crosses(book: Book, side: SimSide, price: Decimal): boolean {
    const best = (side === 'BUY' ? book.asks : book.bids)[0];
    return best !== undefined && (side === 'BUY' ? best.price <= price : best.price >= price);
  }

  /** Quantity on the opposite side at prices `limit` crosses (all of it for a market order). */
  private available(book: Book, side: SimSide, limit: Decimal | undefined): Decimal {
    let total = ZERO;
    for (const level of side === 'BUY' ? book.asks : book.bids) {
      if (limit !== undefined && (side === 'BUY' ? level.price > limit : level.price < limit)) break;
      total += level.qty;
    }
    return total;
  }

  /** Quote needed to buy `qty` at market (what a market BUY locks); walks the asks. */
  private marketCost(book: Book, qty: Decimal): Decimal {
    let left = qty;
    let cost = ZERO;
    for (const level of book.asks) {
      if (left === 0n) break;
      const q = min(left, level.qty);
      cost += mul(level.price, q, 'up');
      left -= q;
    }
    return cost;
  }

  /** Base a market SELL by quoteOrderQty needs (what it locks); walks the bids. */
  private marketBaseFor(book: Book, quote: Decimal): Decimal {
    let left = quote;
    let base = ZERO;
    for (const level of book.bids) {
      if (left <= 0n) break;
      const q = min(level.qty, roundToStep(div(left, level.price, 'down'), book.spec.stepSize, 'down'));
      if (q === 0n) break;
      base += q;
      left -= mul(level.price, q, 'down');
    }
    return base;
  }

  private levelQty(book: Book, side: SimSide, price: Decimal): Decimal {
    const level = book.side(side).find((l) => l.price === price);
    return level?.qty ?? ZERO;
  }

  /** Matches `taker` against the opposite side; says why it stopped. */
  private match(
    book: Book,
    taker: SimOrder,
    quoteBudget: Decimal | undefined,
    fills: SimFill[],
    events: EngineEvent[],
    touched: Set<string>,
    time: number,
  ): 'filled' | 'budget' | 'limit' | 'liquidity' {
    const opposite = taker.side === 'BUY' ? book.asks : book.bids;
    const limit = taker.type === 'MARKET' ? undefined : taker.price;
    let budget = quoteBudget;
    while (opposite.length > 0) {
      const level = opposite[0]!;
      if (limit !== undefined && (taker.side === 'BUY' ? level.price > limit : level.price < limit)) return 'limit';
      let want: Decimal;
      if (budget !== undefined) {
        want = roundToStep(div(budget, level.price, 'down'), book.spec.stepSize, 'down');
        if (want <= 0n) return 'budget';
      } else {
        want = remainingOf(taker);
        if (want <= 0n) return 'filled';
      }
      const maker = level.orders[0]!;
      const qty = min(want, remainingOf(maker));
      const fill = this.settle(book, taker, maker, level.price, qty, time);
      fills.push(fill);
      touched.add(maker.account);
      level.qty -= qty;
      if (budget !== undefined) {
        budget -= fill.quoteQty;
        taker.origQty += qty; // a quoteOrderQty order's quantity is what it bought or sold
      }
      if (remainingOf(maker) === 0n) {
        level.orders.shift();
        book.close(maker);
        maker.isWorking = false;
      }
      if (level.orders.length === 0) opposite.shift();
      book.updateId++;
      events.push({ kind: 'book', symbol: book.spec.symbol, side: maker.side, price: level.price, qty: level.orders.length === 0 ? ZERO : level.qty, updateId: book.updateId });
      events.push({
        kind: 'trade',
        trade: { symbol: book.spec.symbol, tradeId: fill.tradeId, price: level.price, qty, time, buyerIsMaker: maker.side === 'BUY' },
      });
      events.push({ kind: 'execution', order: { ...taker }, execution: 'TRADE', fill: { ...fill, isMaker: false }, time });
      events.push({ kind: 'execution', order: { ...maker }, execution: 'TRADE', fill: { ...fill, ...this.makerSideOf(maker, fill) }, time });
    }
    return budget !== undefined ? 'liquidity' : remainingOf(taker) === 0n ? 'filled' : 'liquidity';
  }

  /** The maker's view of a fill: its own commission and asset. */
  private makerSideOf(maker: SimOrder, fill: SimFill): Partial<SimFill> {
    const t = this.trades.get(maker.account)?.at(-1);
    return t && t.id === fill.tradeId && t.orderId === maker.orderId ? { commission: t.commission, commissionAsset: t.commissionAsset, isMaker: true } : { isMaker: true };
  }

  /** One fill between taker and maker: moves the money, records the trades. */
  private settle(book: Book, taker: SimOrder, maker: SimOrder, price: Decimal, qty: Decimal, time: number): SimFill {
    const spec = book.spec;
    const quote = mul(price, qty, 'half-even');
    const tradeId = book.nextTradeId++;
    book.lastPrice = price;
    let takerFill: SimFill | undefined;
    for (const order of [maker, taker]) {
      const isMaker = order === maker;
      const rate = isMaker ? this.opts.makerRate : this.opts.takerRate;
      const isBuyer = order.side === 'BUY';
      const receivedAsset = isBuyer ? spec.baseAsset : spec.quoteAsset;
      const received = isBuyer ? qty : quote;
      const commission = mul(received, rate, 'down');
      // Pay out of the order's lock: a limit BUY locked at its own price and gets back the
      // difference when it trades better; the last fill releases any rounding left.
      const pay = isBuyer ? quote : qty;
      const payAsset = isBuyer ? spec.quoteAsset : spec.baseAsset;
      const release = isBuyer && order.type !== 'MARKET' ? min(order.locked, mul(order.price, qty, 'up')) : min(order.locked, pay);
      const payer = this.balance(order.account, payAsset);
      payer.locked -= release;
      payer.free += release - pay;
      order.locked -= release;
      const receiver = this.balance(order.account, receivedAsset);
      receiver.free += received - commission;
      this.fees.set(receivedAsset, (this.fees.get(receivedAsset) ?? ZERO) + commission);
      order.executedQty += qty;
      order.cummulativeQuoteQty += quote;
      order.updateTime = time;
      const done = order.executedQty === order.origQty && !(order === taker && taker.origQuoteOrderQty > 0n);
      order.status = done ? 'FILLED' : 'PARTIALLY_FILLED';
      if (done) this.releaseLock(order);
      const trade: SimTrade = { symbol: spec.symbol, id: tradeId, orderId: order.orderId, account: order.account, price, qty, quoteQty: quote, commission, commissionAsset: receivedAsset, time, isBuyer, isMaker };
      let list = this.trades.get(order.account);
      if (!list) this.trades.set(order.account, (list = []));
      list.push(trade);
      if (!isMaker) takerFill = { price, qty, quoteQty: quote, commission, commissionAsset: receivedAsset, tradeId, isMaker: false };
    }
    return takerFill!;
  }

  /** Gives back whatever the order still has locked. */
  private releaseLock(order: SimOrder): void {
    if (order.locked === 0n) return;
    const spec = this.book(order.symbol).spec;
    const b = this.balance(order.account, order.side === 'BUY' ? spec.quoteAsset : spec.baseAsset);
    b.locked -= order.locked;
    b.free += order.locked;
    order.locked = ZERO;
  }

  private pushBalances(events: EngineEvent[], accounts: Set<string>, spec: SymbolSpec, time: number): void {
    for (const account of accounts) {
      const balances = new Map<string, Balance>();
      for (const asset of [spec.baseAsset, spec.quoteAsset]) balances.set(asset, { ...this.balance(account, asset) });
      events.push({ kind: 'balances', account, balances, time });
    }
  }
}

