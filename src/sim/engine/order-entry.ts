/**
 * How an order enters the exchange, whoever places it: the symbol's book, Binance's filters (plan),
 * the lock an order takes on entry (the most it can spend), and its admission (known by id and
 * client id, nothing matched yet). matching.ts builds the matching core on this.
 */
import { ZERO, min, mul, roundToStep, type Decimal } from '../../model/decimal.js';
import { Balances, buyLock, payAssetOf } from './balances.js';
import { Book, DEFAULT_RETENTION, type Retention } from './book.js';
import { checkNotional, checkPrice, checkQuantity, limitNotional } from './filters.js';
import { DEFAULT_STP, ExchangeError, STP_MODES, atMarket, isTrigger, type NewOrderRequest, type SimOrder, type SimOrderStatus, type StpMode, type SymbolSpec } from './types.js';
import { marketCost, quoteTarget, type Taker } from './walk.js';

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

export class OrderEntry {
  protected readonly books = new Map<string, Book>();
  readonly money = new Balances();
  readonly now: () => number;
  protected readonly retention: Required<Retention>;

  constructor(
    specs: SymbolSpec[],
    protected readonly opts: EngineOptions,
  ) {
    this.retention = { ...DEFAULT_RETENTION, ...opts.retention };
    for (const s of specs) this.books.set(s.symbol, new Book(s, this.retention));
    this.now = opts.now ?? Date.now;
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
      this.money.lock(req.account, payAssetOf(book.spec, order), lock);
      order.locked = lock;
    }
    book.admit(order);
    return order;
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

  /** Whether an order at `price` would take liquidity now (a LIMIT_MAKER's refusal). */
  crosses(book: Book, side: 'BUY' | 'SELL', price: Decimal): boolean {
    const best = (side === 'BUY' ? book.asks : book.bids)[0];
    return best !== undefined && (side === 'BUY' ? best.price <= price : best.price >= price);
  }
}
