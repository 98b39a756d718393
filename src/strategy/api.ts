/**
 * What a strategy file sees: the callbacks it may export and the context each receives first.
 * Import the types with `import type { Context, Strategy } from '<kungfu-ts>/src/strategy/api.js'`
 * (a strategy file needs no build step: kfc compiles it). Kungfu's snake_case names work too
 * (`pre_start`, `on_quote`, `ctx.insert_order(...)`), so a ported strategy reads familiar.
 *
 * Money is exact: prices, volumes and balances are `Decimal` (a bigint counting 1e-8 units, see
 * src/model/decimal.ts); `ctx.dec('0.01')` makes one from text, `ctx.fmt(x)` prints one, and
 * `ctx.roundPrice` / `ctx.roundVolume` put a value on the symbol's tick / lot grid in the
 * direction asked (the ledger refuses a price off the tick, it never rounds one).
 */
import type { Decimal } from '../model/decimal.js';
import type { BarInterval } from '../model/enums.js';
import type {
  BarEvent,
  BrokerStateEvent,
  DepthEvent,
  OrderEvent,
  QuoteEvent,
  SubscribeErrorEvent,
  TickerEvent,
  TradeEvent,
  TransactionEvent,
} from '../model/events.js';
import type { Logger } from '../util/log.js';

export type { Decimal };
export type { BarEvent, BrokerStateEvent, DepthEvent, OrderEvent, QuoteEvent, SubscribeErrorEvent, TickerEvent, TradeEvent, TransactionEvent };

/** What to subscribe to: best bid/ask, a maintained book, trades, aggregated trades, bars, 24h ticker. */
export type MarketDataKind = 'quote' | 'depth' | 'trade' | 'aggTrade' | 'bar' | 'ticker';

export interface SubscribeOptions {
  /** Depth: levels per side, 1 to 20 (default 10). */
  depthLevels?: number;
  /** Bar: the interval (default '1m'). */
  barInterval?: BarInterval;
  /** Bar: also the bar in progress, not only closed ones. */
  barPartial?: boolean;
}

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'limit' | 'market' | 'limit_maker';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';

export interface OrderRequest {
  symbol: string;
  /** The account's name (as added with addAccount), e.g. 'my_account'. */
  account: string;
  /** Default 'binance'. */
  source?: string;
  side: OrderSide | 'BUY' | 'SELL';
  /** Default 'limit'. */
  type?: OrderType | 'LIMIT' | 'MARKET' | 'LIMIT_MAKER';
  /** Limit price (not for market orders). A Decimal, or decimal text like '60000.5'. */
  price?: Decimal | string;
  /** Base quantity. */
  volume?: Decimal | string;
  /** Market buys by quote amount instead of volume (Binance quoteOrderQty). */
  quoteVolume?: Decimal | string;
  /** Default 'GTC' (limit orders). */
  timeInForce?: TimeInForce;
}

export interface Balance {
  asset: string;
  free: Decimal;
  locked: Decimal;
}

export interface PositionView {
  symbol: string;
  volume: Decimal;
  /** Quote paid for the volume held; average price = cost / volume. */
  cost: Decimal;
  realizedPnl: Decimal;
  unrealizedPnl: Decimal;
  markPrice: Decimal;
}

export interface BookView {
  source: string;
  account: string;
  /** The exchange's balances (the trading gateway's last report). */
  balances: Map<string, Balance>;
  /** This strategy's positions on the account, from the ledger, by symbol. */
  positions: Map<string, PositionView>;
  /** This strategy's open orders on the account, by order id. */
  openOrders: Map<bigint, OrderEvent>;
  realizedPnl: Decimal;
  unrealizedPnl: Decimal;
}

export interface InstrumentView {
  symbol: string;
  exchange: string;
  baseAsset: string;
  quoteAsset: string;
  tickSize: Decimal;
  stepSize: Decimal;
  minPrice: Decimal;
  maxPrice: Decimal;
  minQty: Decimal;
  maxQty: Decimal;
  minNotional: Decimal;
  /** Decimals of a price and a volume on the grid (from tick and step). */
  pricePrecision: number;
  volumePrecision: number;
}

export type Rounding = 'down' | 'up' | 'nearest';

/** Kungfu's names for the context's methods (`ctx.insert_order(...)`): the same methods. */
export interface KungfuContext {
  add_account: Context['addAccount'];
  insert_order: Context['insertOrder'];
  cancel_order: Context['cancelOrder'];
  cancel_all: Context['cancelAll'];
  add_timer: Context['addTimer'];
  add_time_interval: Context['addTimeInterval'];
  cancel_timer: Context['cancelTimer'];
  get_book: Context['getBook'];
  get_instrument: Context['getInstrument'];
  get_quote: Context['getQuote'];
  get_depth: Context['getDepth'];
  round_price: Context['roundPrice'];
  round_volume: Context['roundVolume'];
}

/** Each Kungfu name of a context method, with the method. */
export const CONTEXT_SNAKE_NAMES = {
  add_account: 'addAccount',
  insert_order: 'insertOrder',
  cancel_order: 'cancelOrder',
  cancel_all: 'cancelAll',
  add_timer: 'addTimer',
  add_time_interval: 'addTimeInterval',
  cancel_timer: 'cancelTimer',
  get_book: 'getBook',
  get_instrument: 'getInstrument',
  get_quote: 'getQuote',
  get_depth: 'getDepth',
  round_price: 'roundPrice',
  round_volume: 'roundVolume',
} as const satisfies { [K in keyof KungfuContext]: keyof Context };

export interface Context extends KungfuContext {
  readonly name: string;
  readonly log: Logger;
  /** The time of the event being handled (ns, journal time); the same in a replay. */
  now(): bigint;
  /** This strategy trades on `source`/`account` (the ledger refuses orders on accounts not added). */
  addAccount(source: string, account: string): void;
  subscribe(source: string, symbols: string | string[], kinds: MarketDataKind | MarketDataKind[], options?: SubscribeOptions): void;
  unsubscribe(source: string, symbols: string | string[], kinds: MarketDataKind | MarketDataKind[]): void;
  /** Sends an order (through the ledger's checks); returns its id at once. */
  insertOrder(order: OrderRequest): bigint;
  /** Asks to cancel one of this strategy's orders; returns the cancel's id. */
  cancelOrder(orderId: bigint): bigint;
  /** Cancels every open order of this strategy (of one symbol, if given); returns how many. */
  cancelAll(symbol?: string): number;
  /** Calls `callback` once at journal time `atNs`; returns an id for cancelTimer. */
  addTimer(atNs: bigint, callback: (ctx: Context) => void): number;
  /** Calls `callback` every `ms` milliseconds. */
  addTimeInterval(ms: number, callback: (ctx: Context) => void): number;
  cancelTimer(id: number): void;
  getBook(account: string, source?: string): BookView;
  getInstrument(symbol: string): InstrumentView | undefined;
  getQuote(symbol: string): QuoteEvent | undefined;
  getDepth(symbol: string): DepthEvent | undefined;
  /** `price` on the symbol's tick grid, rounded as asked (default 'nearest'). */
  roundPrice(symbol: string, price: Decimal, rounding?: Rounding): Decimal;
  /** `volume` on the symbol's lot grid, rounded as asked (default 'down'). */
  roundVolume(symbol: string, volume: Decimal, rounding?: Rounding): Decimal;
  /** Decimal from text ('0.01'). */
  dec(text: string): Decimal;
  /** Decimal to text ('0.01'); with `places`, exactly that many decimals. */
  fmt(value: Decimal, places?: number): string;
}

/** Options a strategy may export as `options`. */
export interface StrategyOptions {
  /** Cancel this strategy's open orders when it stops, and wait for the answers (default true). */
  cancelOnStop?: boolean;
  /** Stop the strategy when a callback throws (default false: log it and go on). */
  stopOnError?: boolean;
}

type Cb<E = never> = [E] extends [never] ? (ctx: Context) => unknown : (ctx: Context, event: E) => unknown;

/** The callbacks under Kungfu's names (`pre_start`, `on_quote`, ...). */
export type KungfuCallbacks = { [K in CallbackName as (typeof CALLBACKS)[K]]?: Strategy[K] };

/** The callbacks a strategy may export (any subset; at least one), under either name. */
export interface Strategy extends KungfuCallbacks {
  preStart?: Cb;
  postStart?: Cb;
  preStop?: Cb;
  postStop?: Cb;
  onQuote?: Cb<QuoteEvent>;
  onDepth?: Cb<DepthEvent>;
  onTransaction?: Cb<TransactionEvent>;
  onBar?: Cb<BarEvent>;
  onTicker?: Cb<TickerEvent>;
  onOrder?: Cb<OrderEvent>;
  onTrade?: Cb<TradeEvent>;
  onOrderActionError?: Cb<{ order_id: bigint; order_action_id: bigint; error_id: number; error_msg: string }>;
  onBrokerState?: Cb<BrokerStateEvent>;
  onBookUpdate?: Cb<BookView>;
  onSubscribeError?: Cb<SubscribeErrorEvent>;
  options?: StrategyOptions;
}

/** Every callback name, camelCase, with Kungfu's snake_case name. */
export const CALLBACKS = {
  preStart: 'pre_start',
  postStart: 'post_start',
  preStop: 'pre_stop',
  postStop: 'post_stop',
  onQuote: 'on_quote',
  onDepth: 'on_depth',
  onTransaction: 'on_transaction',
  onBar: 'on_bar',
  onTicker: 'on_ticker',
  onOrder: 'on_order',
  onTrade: 'on_trade',
  onOrderActionError: 'on_order_action_error',
  onBrokerState: 'on_broker_state',
  onBookUpdate: 'on_book_update',
  onSubscribeError: 'on_subscribe_error',
} as const;
export type CallbackName = keyof typeof CALLBACKS;
