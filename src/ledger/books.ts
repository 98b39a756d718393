/**
 * The ledger's books, pure state (no I/O): what each account holds, what each strategy has
 * ordered, filled and holds, and what the markets and gateways last said. The ledger process feeds
 * it journal events (live and in replay: the same code, so a restart rebuilds the same books);
 * risk.ts reads it to decide on orders. What one account holds is an AccountBook (account-book.ts),
 * what one strategy has a StrategyBook (strategy-book.ts), one order an OrderView (order-view.ts).
 *
 * Balances are the exchange's (the TD's Asset events), less what the ledger has routed and the
 * exchange has not reported yet: an order routed to a TD reserves what it may spend until the
 * TD's journal shows both the exchange's answer to it and a balance report after that answer.
 */
import { ZERO, div, fromInteger, mul, type Decimal } from '../model/decimal.js';
import { OrderStatus, PriceType, Side, isFinalStatus } from '../model/enums.js';
import type { AssetEvent, InstrumentEvent, OrderEvent, OrderInputEvent, QuoteEvent, TradeEvent } from '../model/events.js';
import { AccountBook } from './account-book.js';
import { accountIdOf, foreignKey, orderView, type OrderView } from './order-view.js';
import { StrategyBook, utcDay } from './strategy-book.js';
import { ownerOf } from '../gateway/binance/common/ids.js';

export interface Instrument {
  symbol: string;
  exchange: string;
  baseAsset: string;
  quoteAsset: string;
  tickSize: Decimal;
  minPrice: Decimal;
  maxPrice: Decimal;
  stepSize: Decimal;
  minQty: Decimal;
  maxQty: Decimal;
  minNotional: Decimal;
  maxNotional: Decimal;
  applyMinToMarket: boolean;
  applyMaxToMarket: boolean;
  maxNumOrders: number;
  status: number;
}

export interface QuoteView {
  bid: Decimal;
  ask: Decimal;
  last: Decimal;
  /** Journal time of the quote. */
  time: bigint;
}

const TWO = fromInteger(2);

/**
 * The price a position is marked at: the mid of the best bid and ask (rounded down to 1e-8: the
 * risk band and PnL are measured from it), or the last trade price without both sides; 0 without
 * a quote.
 */
export function markOf(q: QuoteView | undefined): Decimal {
  if (!q) return ZERO;
  return q.bid > 0n && q.ask > 0n ? div(q.bid + q.ask, TWO, 'down') : q.last;
}

/** What an order may spend, in which asset: the reservation the ledger holds until the exchange reports. */
export function spendOf(order: Pick<OrderInputEvent, 'side' | 'price_type' | 'price' | 'volume' | 'quote_volume'>, instrument: Instrument, quote: QuoteView | undefined): { asset: string; amount: Decimal } | undefined {
  if (order.side === Side.Sell) return { asset: instrument.baseAsset, amount: order.volume };
  if (order.price_type !== PriceType.Market) return { asset: instrument.quoteAsset, amount: mul(order.price, order.volume, 'up') };
  if (order.quote_volume > 0n) return { asset: instrument.quoteAsset, amount: order.quote_volume };
  // A market buy by quantity spends at most what the book asks: estimate at the last ask.
  if (!quote || quote.ask <= 0n) return undefined;
  return { asset: instrument.quoteAsset, amount: mul(quote.ask, order.volume, 'up') };
}

/** Values by exchange and symbol, and by symbol alone (what was seen last, whichever exchange). */
class BySymbol<T> {
  private readonly byExchange = new Map<string, Map<string, T>>();
  private readonly bySymbol = new Map<string, T>();

  get(exchange: string, symbol: string): T | undefined {
    return this.byExchange.get(exchange)?.get(symbol) ?? this.bySymbol.get(symbol);
  }

  set(exchange: string, symbol: string, value: T): void {
    let m = this.byExchange.get(exchange);
    if (!m) this.byExchange.set(exchange, (m = new Map()));
    m.set(symbol, value);
    this.bySymbol.set(symbol, value);
  }
}

export class Books {
  /** By account id ("binance_my_account"). */
  readonly accounts = new Map<string, AccountBook>();
  private readonly accountsBySource = new Map<string, Map<string, AccountBook>>();
  readonly strategies = new Map<number, StrategyBook>();
  private readonly instruments = new BySymbol<Instrument>();
  private readonly quotes = new BySymbol<QuoteView>();
  /** Every order the ledger knows, open or final (final ones are pruned by `prune`). */
  readonly orders = new Map<bigint, OrderView>();

  /** Looked up without building the id (called for every gateway event). */
  account(source: string, account: string): AccountBook {
    let bySource = this.accountsBySource.get(source);
    if (!bySource) this.accountsBySource.set(source, (bySource = new Map()));
    let book = bySource.get(account);
    if (!book) {
      book = new AccountBook(accountIdOf(source, account), source, account);
      bySource.set(account, book);
      this.accounts.set(book.id, book);
    }
    return book;
  }

  strategy(uid: number, name = ''): StrategyBook {
    let book = this.strategies.get(uid);
    if (!book) this.strategies.set(uid, (book = new StrategyBook(uid, name)));
    else if (name && !book.name) book.name = name;
    return book;
  }

  instrument(exchange: string, symbol: string): Instrument | undefined {
    return this.instruments.get(exchange, symbol);
  }

  quote(exchange: string, symbol: string): QuoteView | undefined {
    return this.quotes.get(exchange, symbol);
  }

  onInstrument(i: InstrumentEvent): void {
    const instrument: Instrument = {
      symbol: i.symbol,
      exchange: i.exchange,
      baseAsset: i.base_asset,
      quoteAsset: i.quote_asset,
      tickSize: i.tick_size,
      minPrice: i.min_price,
      maxPrice: i.max_price,
      stepSize: i.step_size,
      minQty: i.min_qty,
      maxQty: i.max_qty,
      minNotional: i.min_notional,
      maxNotional: i.max_notional,
      applyMinToMarket: i.apply_min_to_market,
      applyMaxToMarket: i.apply_max_to_market,
      maxNumOrders: i.max_num_orders,
      status: i.status,
    };
    this.instruments.set(i.exchange, i.symbol, instrument);
  }

  onQuote(q: QuoteEvent, time: bigint): void {
    const view = this.quotes.get(q.exchange, q.symbol);
    if (view) {
      view.bid = q.bid_price;
      view.ask = q.ask_price;
      view.last = q.last_price;
      view.time = time;
    } else this.quotes.set(q.exchange, q.symbol, { bid: q.bid_price, ask: q.ask_price, last: q.last_price, time });
  }

  /** The ledger routed an order to its TD: it is open, and reserves what it may spend. */
  onRouted(input: OrderInputEvent, strategyUid: number, time: bigint): OrderView {
    const account = this.account(input.source, input.account);
    const view = orderView(input, { key: input.order_id, strategyUid, status: OrderStatus.Pending, errorMsg: '', insertTime: time, updateTime: time });
    this.orders.set(view.orderId, view);
    account.open.add(view);
    const strategy = this.strategy(strategyUid);
    strategy.open.add(view);
    strategy.recentSends.push(time);
    const instrument = this.instrument(input.exchange, input.symbol);
    const spend = instrument ? spendOf(input, instrument, this.quote(input.exchange, input.symbol)) : undefined;
    if (spend) account.reserve(view.orderId, { ...spend, answered: false });
    return view;
  }

  /** A TD's order update (or the ledger's own rejection). */
  onOrder(o: OrderEvent, time: bigint): void {
    const account = this.account(o.source, o.account);
    let view = this.orders.get(o.order_id);
    if (!view || o.order_id === 0n) {
      // An order the ledger did not route (another client on the account; or one from before
      // the ledger's history): tracked on the account by the exchange's id.
      const key = o.order_id !== 0n ? o.order_id : foreignKey(o.ex_order_id);
      view = account.open.get(key);
      if (!view) {
        // The owner from the id (0: another client's order).
        view = orderView(o, { key, strategyUid: o.order_id !== 0n ? ownerOf(o.order_id) : 0, status: o.status, errorMsg: '', insertTime: o.insert_time || time, updateTime: time });
        if (o.order_id !== 0n) this.orders.set(key, view);
      }
    }
    view.status = o.status;
    view.volumeTraded = o.volume_traded;
    view.amountTraded = o.amount_traded;
    view.errorMsg = o.error_msg;
    view.updateTime = time;
    if (o.status !== OrderStatus.Pending && o.status !== OrderStatus.Unknown) {
      const r = account.reservations.get(view.orderId);
      if (r) r.answered = true;
    }
    if (isFinalStatus(o.status)) {
      account.open.remove(view.orderId);
      this.strategies.get(view.strategyUid)?.open.remove(view.orderId);
      // A final order spends nothing more: what it reserved is free, the exchange's report says the rest.
      if (o.status === OrderStatus.Error) account.release(view.orderId);
    } else {
      account.open.add(view);
      if (view.strategyUid !== 0) this.strategy(view.strategyUid).open.add(view);
    }
  }

  /** A TD's balance report: the exchange's truth, including every order it answered before. */
  onAsset(a: AssetEvent, time: bigint): void {
    const account = this.account(a.source, a.account);
    account.balances.set(a.asset, { free: a.free, locked: a.locked });
    account.balancesAt = time;
    for (const [id, r] of account.reservations) if (r.answered && r.asset === a.asset) account.release(id);
  }

  onBrokerState(source: string, account: string, state: number, message: string): void {
    const book = this.account(source, account);
    book.brokerState = state;
    book.brokerMessage = message;
  }

  /** A fill of one of our orders: the owning strategy's position moves. */
  onTrade(t: TradeEvent, time: bigint): void {
    const view = this.orders.get(t.order_id);
    const strategyUid = view?.strategyUid ?? (Number(t.order_id >> 32n) >>> 0);
    if (t.order_id === 0n || strategyUid === 0) return;
    const strategy = this.strategy(strategyUid);
    const accountId = accountIdOf(t.source, t.account);
    const instrument = this.instrument(t.exchange, t.symbol);
    const position = strategy.position(accountId, t.symbol);
    // The exchange's quote amount; without one, price x volume rounded down, as Binance settles.
    const quote = t.amount > 0n ? t.amount : mul(t.price, t.volume, 'down');
    const base = instrument?.baseAsset;
    const quoteAsset = instrument?.quoteAsset;
    const baseFee = t.commission_asset === base ? t.commission : ZERO;
    const quoteFee = t.commission_asset === quoteAsset ? t.commission : ZERO;
    if (t.commission > 0n && baseFee === ZERO && quoteFee === ZERO) {
      strategy.otherFees.set(t.commission_asset, (strategy.otherFees.get(t.commission_asset) ?? ZERO) + t.commission);
    }
    const before = position.realized;
    position.fill(t.side === Side.Buy, t.volume, quote, baseFee, quoteFee);
    const day = `${utcDay(t.trade_time || time)}:${quoteAsset ?? ''}`;
    strategy.realizedByDay.set(day, (strategy.realizedByDay.get(day) ?? ZERO) + position.realized - before);
  }

  /** Forgets final orders older than `beforeNs` (keeps memory bounded in a long session). */
  prune(beforeNs: bigint): void {
    for (const [id, o] of this.orders) if (isFinalStatus(o.status) && o.updateTime < beforeNs) this.orders.delete(id);
  }
}
