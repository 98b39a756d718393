/**
 * A strategy's runtime: the Context its callbacks get (orders, subscriptions, timers, views), and
 * the dispatch of journal frames to its callbacks, on the process's event loop (futex-driven).
 *
 * It reads: the MD gateways' public journals (market data), the TDs' (its accounts' balances, its
 * orders' reports and fills), the ledger's (its rejections, its positions, broker states); it
 * writes: orders, cancels and added accounts to the ledger, subscriptions to the MD gateway.
 * Order ids are this strategy's location uid in the high 32 bits and a sequence that never repeats:
 * it continues from the strategy's journal, and never starts below a clock-based floor (so a cleared
 * journal does not reuse an id either).
 */
import { nowNs } from '../journal/clock.js';
import type { EventLoop } from '../journal/loop.js';
import { Locations, type Location } from '../journal/location.js';
import type { Frame, JournalReader } from '../journal/reader.js';
import type { JournalWriter } from '../journal/writer.js';
import { ZERO, formatDecimal, formatFixed, parseDecimal, roundToStep, type Decimal } from '../model/decimal.js';
import { BAR_INTERVALS, MarketData, OrderStatus, PriceType, Side, TimeCondition, isFinalStatus } from '../model/enums.js';
import {
  AddAccount,
  MsgType,
  Order,
  OrderAction,
  OrderInput,
  Subscribe,
  type OrderEvent,
  type OrderInputEvent,
} from '../model/events.js';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { CONTEXT_SNAKE_NAMES, type BookView, type Context, type InstrumentView, type KungfuContext, type MarketDataKind, type OrderRequest, type Rounding, type SubscribeOptions } from './api.js';
import { AccountsView, MarketView } from './views.js';

const KIND_BITS: Record<MarketDataKind, number> = {
  quote: MarketData.Quote,
  depth: MarketData.Depth,
  trade: MarketData.Transaction,
  aggTrade: MarketData.AggTrade,
  bar: MarketData.Bar,
  ticker: MarketData.Ticker,
};

/** Order seq floor: 8 per second since 2026-01-01 (see the module comment). */
export function seqFloor(nowMs = Date.now()): bigint {
  return BigInt(Math.max(1, Math.floor((nowMs / 1000 - 1_767_225_600) * 8)));
}

/** What the strategy knows of an order it has just sent: Pending, nothing traded. */
function sentOrder(i: OrderInputEvent): OrderEvent {
  const o = Order.empty();
  Object.assign(o, {
    order_id: i.order_id,
    insert_time: i.insert_time,
    update_time: i.insert_time,
    symbol: i.symbol,
    exchange: i.exchange,
    source: i.source,
    account: i.account,
    price: i.price,
    volume: i.volume,
    quote_volume: i.quote_volume,
    volume_left: i.volume,
    status: OrderStatus.Pending,
    price_type: i.price_type,
    side: i.side,
    offset: i.offset,
    time_condition: i.time_condition,
  });
  return o;
}

export interface RuntimeOptions {
  name: string;
  location: Location;
  log: Logger;
  loop: EventLoop;
  reader: JournalReader;
  /** The strategy's journal to the ledger (orders, cancels, accounts) and to MD gateways. */
  toLedger: JournalWriter;
  toMd: (source: string) => JournalWriter;
}

/** Kungfu's method names, set on the prototype below. */
export interface StrategyRuntime extends KungfuContext {}

export class StrategyRuntime implements Context {
  readonly name: string;
  readonly log: Logger;
  readonly market = new MarketView();
  readonly accounts = new AccountsView();
  /** Accounts added, as "source/account". */
  readonly added = new Map<string, { source: string; account: string }>();
  private seq: bigint;
  private readonly input = OrderInput.empty();
  private readonly action = OrderAction.empty();

  constructor(private readonly opts: RuntimeOptions) {
    this.name = opts.name;
    this.log = opts.log;
    this.seq = seqFloor();
  }

  get uid(): number {
    return this.opts.location.uid;
  }

  /** Continues order and cancel ids after `id` (one found in the strategy's journal). */
  usedId(id: bigint): void {
    const seq = id & 0xffffffffn;
    if (seq >= this.seq) this.seq = seq + 1n;
  }

  private nextId(): bigint {
    if (this.seq > 0xffffffffn) throw new UserError(`strategy ${this.name} has used every order id of its 32-bit sequence`);
    return (BigInt(this.opts.location.uid) << 32n) | this.seq++;
  }

  now(): bigint {
    return this.opts.loop.now() || nowNs();
  }

  addAccount(source: string, account: string): void {
    Locations.td(source, account); // validates the names
    this.added.set(`${source}/${account}`, { source, account });
    this.accounts.book(source, account);
    const a = AddAccount.empty();
    a.source = source;
    a.account = account;
    this.opts.toLedger.write(MsgType.AddAccount, AddAccount, a);
    this.opts.reader.join(Locations.td(source, account));
  }

  private subscription(source: string, symbols: string | string[], kinds: MarketDataKind | MarketDataKind[], options: SubscribeOptions, type: number): void {
    let data = 0;
    for (const k of Array.isArray(kinds) ? kinds : [kinds]) {
      const bit = KIND_BITS[k];
      if (bit === undefined) throw new UserError(`unknown market data kind "${k}": use ${Object.keys(KIND_BITS).join(', ')}`);
      data |= bit;
    }
    const levels = options.depthLevels ?? 10;
    if (!(Number.isInteger(levels) && levels >= 1 && levels <= 20)) throw new UserError(`depthLevels ${levels}: use 1 to 20`);
    const interval = options.barInterval ?? '1m';
    if (!(BAR_INTERVALS as readonly string[]).includes(interval)) throw new UserError(`barInterval "${interval}": use one of ${BAR_INTERVALS.join(' ')}`);
    const writer = this.opts.toMd(source);
    // Live market data only: the gateway's history is not this strategy's business.
    this.opts.reader.join(Locations.md(source), 0, nowNs());
    for (const symbol of Array.isArray(symbols) ? symbols : [symbols]) {
      if (!/^[A-Z0-9]{2,20}$/.test(symbol)) throw new UserError(`symbol "${symbol}": use the exchange's name, upper case, like BTCUSDT`);
      const s = Subscribe.empty();
      Object.assign(s, { source, exchange: '', symbol, data, depth_levels: levels, bar_interval: interval, bar_partial: options.barPartial ?? false });
      writer.write(type, Subscribe, s);
    }
  }

  subscribe(source: string, symbols: string | string[], kinds: MarketDataKind | MarketDataKind[], options: SubscribeOptions = {}): void {
    this.subscription(source, symbols, kinds, options, MsgType.Subscribe);
  }

  unsubscribe(source: string, symbols: string | string[], kinds: MarketDataKind | MarketDataKind[]): void {
    this.subscription(source, symbols, kinds, {}, MsgType.Unsubscribe);
  }

  private decimal(value: Decimal | string | undefined, what: string): Decimal {
    if (value === undefined) return ZERO;
    if (typeof value === 'bigint') return value;
    if (typeof value !== 'string') throw new UserError(`${what} must be a Decimal or decimal text like '0.01', not ${typeof value}`);
    try {
      return parseDecimal(value);
    } catch (err) {
      throw new UserError(`${what}: ${(err as Error).message}`);
    }
  }

  insertOrder(order: OrderRequest): bigint {
    // An account not added, an unknown symbol, a price off the tick: the ledger's checks answer
    // them all, as an Order with status Error and the reason (onOrder), like any refusal.
    const source = order.source ?? 'binance';
    const side = String(order.side).toLowerCase();
    if (side !== 'buy' && side !== 'sell') throw new UserError(`insertOrder: side "${order.side}": use 'buy' or 'sell'`);
    const type = String(order.type ?? 'limit').toLowerCase();
    const priceType = type === 'limit' ? PriceType.Limit : type === 'market' ? PriceType.Market : type === 'limit_maker' ? PriceType.LimitMaker : undefined;
    if (priceType === undefined) throw new UserError(`insertOrder: type "${order.type}": use 'limit', 'market' or 'limit_maker'`);
    const tif = order.timeInForce ?? 'GTC';
    const time = tif === 'GTC' ? TimeCondition.GTC : tif === 'IOC' ? TimeCondition.IOC : tif === 'FOK' ? TimeCondition.FOK : undefined;
    if (time === undefined) throw new UserError(`insertOrder: timeInForce "${tif}": use GTC, IOC or FOK`);
    const o: OrderInputEvent = this.input;
    o.order_id = this.nextId();
    o.insert_time = nowNs();
    o.symbol = order.symbol;
    o.exchange = this.market.instruments.get(order.symbol)?.exchange ?? '';
    o.source = source;
    o.account = order.account;
    o.price = this.decimal(order.price, 'price');
    o.volume = this.decimal(order.volume, 'volume');
    o.quote_volume = this.decimal(order.quoteVolume, 'quoteVolume');
    o.price_type = priceType;
    o.side = side === 'buy' ? Side.Buy : Side.Sell;
    o.offset = 0;
    o.time_condition = time;
    this.opts.toLedger.write(MsgType.OrderInput, OrderInput, o, this.opts.loop.now());
    // Open from now on, until the ledger or the gateway says otherwise: cancelAll and the stop
    // cancel it even before its first report arrives.
    this.accounts.onOrder(sentOrder(o));
    return o.order_id;
  }

  cancelOrder(orderId: bigint): bigint {
    const a = this.action;
    a.order_action_id = this.nextId();
    a.order_id = orderId;
    a.insert_time = nowNs();
    a.action_flag = 0;
    this.opts.toLedger.write(MsgType.OrderAction, OrderAction, a, this.opts.loop.now());
    return a.order_action_id;
  }

  cancelAll(symbol?: string): number {
    let n = 0;
    for (const o of this.accounts.openOrders()) {
      if (symbol !== undefined && o.symbol !== symbol) continue;
      this.cancelOrder(o.order_id);
      n++;
    }
    return n;
  }

  addTimer(atNs: bigint, callback: (ctx: Context) => void): number {
    return this.opts.loop.addTimer(atNs, () => this.guard('timer', undefined, () => callback(this)));
  }

  addTimeInterval(ms: number, callback: (ctx: Context) => void): number {
    if (!(ms > 0) || !Number.isFinite(ms)) throw new UserError(`addTimeInterval: ${ms} ms: give a positive number of milliseconds`);
    return this.opts.loop.addInterval(BigInt(Math.round(ms * 1e6)), () => this.guard('interval', undefined, () => callback(this)));
  }

  cancelTimer(id: number): void {
    this.opts.loop.cancel(id);
  }

  getBook(account: string, source = 'binance'): BookView {
    return this.accounts.book(source, account);
  }

  getInstrument(symbol: string): InstrumentView | undefined {
    return this.market.instruments.get(symbol);
  }

  getQuote(symbol: string) {
    return this.market.quotes.get(symbol);
  }

  getDepth(symbol: string) {
    return this.market.depths.get(symbol);
  }

  private grid(symbol: string, what: 'tickSize' | 'stepSize'): Decimal {
    const i = this.market.instruments.get(symbol);
    if (!i) throw new UserError(`${symbol}: no instrument yet (subscribe to it; the market-data gateway publishes its filters)`);
    return i[what];
  }

  roundPrice(symbol: string, price: Decimal, rounding: Rounding = 'nearest'): Decimal {
    return roundToStep(price, this.grid(symbol, 'tickSize'), rounding === 'nearest' ? 'half-even' : rounding === 'up' ? 'ceil' : 'floor');
  }

  roundVolume(symbol: string, volume: Decimal, rounding: Rounding = 'down'): Decimal {
    return roundToStep(volume, this.grid(symbol, 'stepSize'), rounding === 'nearest' ? 'half-even' : rounding === 'up' ? 'ceil' : 'floor');
  }

  dec(text: string): Decimal {
    return parseDecimal(text);
  }

  fmt(value: Decimal, places?: number): string {
    return places === undefined ? formatDecimal(value) : formatFixed(value, places);
  }

  /** Runs a strategy callback; set by the runner (logs, and stops if so configured). */
  guard: (name: string, event: unknown, fn: () => unknown) => void = (_name, _event, fn) => void fn();

  /** Whether an order report is one of this strategy's. */
  owns(orderId: bigint): boolean {
    return Number(orderId >> 32n) >>> 0 === this.opts.location.uid;
  }

  openOrderCount(): number {
    return this.accounts.openOrders().length;
  }

  /** Frames from this strategy's own journals, replayed at start: ids it used, orders it sent. */
  replayOwn(f: Frame): void {
    if (f.msgType === MsgType.OrderInput) {
      const o = f.decode(OrderInput);
      this.usedId(o.order_id);
    } else if (f.msgType === MsgType.OrderAction) this.usedId(f.decode(OrderAction).order_action_id);
  }

  /** This strategy's orders not final yet: reported open, or sent and not answered. */
  liveOrders(): OrderEvent[] {
    return this.accounts.openOrders().filter((o) => !isFinalStatus(o.status));
  }
}

// `ctx.insert_order(...)` is `ctx.insertOrder(...)`: Kungfu's names for the same methods.
for (const [snake, camel] of Object.entries(CONTEXT_SNAKE_NAMES)) {
  Object.defineProperty(StrategyRuntime.prototype, snake, { value: StrategyRuntime.prototype[camel], writable: false, enumerable: false, configurable: false });
}
