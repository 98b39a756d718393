/**
 * Every event that crosses a journal: its message type code and its fixed binary layout.
 * This file is the one place where the payload formats are defined (frame and page headers are in
 * src/journal/format.ts). Codes follow Kungfu 2.x where Kungfu has the message.
 *
 * Conventions: money fields are `decimal` (i64 counting 1e-8, see decimal.ts); times are `time`
 * (i64 ns on the journal clock, see src/journal/clock.ts) unless named *_ms (exchange ms);
 * ids are i64; enumerations are u8 (see enums.ts); text is fixed-size UTF-8.
 */
import { defineLayout, type Layout } from './layout.js';

const SYMBOL = { str: 32 } as const;
const EXCHANGE = { str: 16 } as const;
const SOURCE = { str: 16 } as const;
const ACCOUNT = { str: 32 } as const;
const ASSET = { str: 16 } as const;
const EX_ID = { str: 40 } as const;
const MESSAGE = { str: 128 } as const;

/** Where an order goes: instrument and the account that trades it (orders, trades, positions). */
const ROUTE = [
  ['symbol', SYMBOL],
  ['exchange', EXCHANGE],
  ['source', SOURCE],
  ['account', ACCOUNT],
] as const;

/** Levels carried by a Depth event (Binance partial depth streams go to 20). */
export const DEPTH_LEVELS = 20;

/**
 * Market events: `data_time` is the exchange's event time (ns; 0 when the exchange gives none, as
 * Binance's bookTicker); the receive time is the frame's trigger_time.
 */
export const Quote = defineLayout('Quote', [
  ['symbol', SYMBOL],
  ['exchange', EXCHANGE],
  ['data_time', 'time'],
  ['update_id', 'i64'],
  ['last_price', 'decimal'],
  ['bid_price', 'decimal'],
  ['bid_volume', 'decimal'],
  ['ask_price', 'decimal'],
  ['ask_volume', 'decimal'],
] as const);

/** The top levels of a maintained order book; `state` Stale while it is being rebuilt (BookState). */
export const Depth = defineLayout('Depth', [
  ['symbol', SYMBOL],
  ['exchange', EXCHANGE],
  ['data_time', 'time'],
  ['first_update_id', 'i64'],
  ['update_id', 'i64'],
  ['bid_levels', 'u8'],
  ['ask_levels', 'u8'],
  ['state', 'u8'],
  ['bid_price', { array: 'decimal', length: DEPTH_LEVELS }],
  ['bid_volume', { array: 'decimal', length: DEPTH_LEVELS }],
  ['ask_price', { array: 'decimal', length: DEPTH_LEVELS }],
  ['ask_volume', { array: 'decimal', length: DEPTH_LEVELS }],
] as const);

/** A public trade, or an aggregated trade (`aggregate`: trade_id is the aggregate id). */
export const Transaction = defineLayout('Transaction', [
  ['symbol', SYMBOL],
  ['exchange', EXCHANGE],
  ['data_time', 'time'],
  /** When the trade happened (exchange time, ns). */
  ['trade_time', 'time'],
  ['trade_id', 'i64'],
  ['first_trade_id', 'i64'],
  ['last_trade_id', 'i64'],
  ['price', 'decimal'],
  ['volume', 'decimal'],
  ['buyer_is_maker', 'bool'],
  ['aggregate', 'bool'],
] as const);

/** A kline (candlestick) of one interval; `closed` once the interval is over. */
export const Bar = defineLayout('Bar', [
  ['symbol', SYMBOL],
  ['exchange', EXCHANGE],
  ['interval', { str: 8 }],
  ['data_time', 'time'],
  ['start_time', 'time'],
  ['end_time', 'time'],
  ['open', 'decimal'],
  ['high', 'decimal'],
  ['low', 'decimal'],
  ['close', 'decimal'],
  ['volume', 'decimal'],
  ['quote_volume', 'decimal'],
  ['taker_buy_volume', 'decimal'],
  ['taker_buy_quote_volume', 'decimal'],
  ['trade_count', 'i64'],
  ['first_trade_id', 'i64'],
  ['last_trade_id', 'i64'],
  ['closed', 'bool'],
] as const);

/** Rolling 24-hour statistics (Binance's 24hrTicker). */
export const Ticker = defineLayout('Ticker', [
  ['symbol', SYMBOL],
  ['exchange', EXCHANGE],
  ['data_time', 'time'],
  ['open_time', 'time'],
  ['close_time', 'time'],
  ['open_price', 'decimal'],
  ['high_price', 'decimal'],
  ['low_price', 'decimal'],
  ['last_price', 'decimal'],
  ['last_volume', 'decimal'],
  ['volume', 'decimal'],
  ['quote_volume', 'decimal'],
  ['weighted_avg_price', 'decimal'],
  ['price_change', 'decimal'],
  /** Percent, exact as Binance prints it (3 decimals). */
  ['price_change_percent', 'decimal'],
  ['bid_price', 'decimal'],
  ['bid_volume', 'decimal'],
  ['ask_price', 'decimal'],
  ['ask_volume', 'decimal'],
  ['first_trade_id', 'i64'],
  ['last_trade_id', 'i64'],
  ['trade_count', 'i64'],
] as const);

export const Instrument = defineLayout('Instrument', [
  ['symbol', SYMBOL],
  ['exchange', EXCHANGE],
  ['base_asset', ASSET],
  ['quote_asset', ASSET],
  ['status', 'u8'],
  ['base_precision', 'u8'],
  ['quote_precision', 'u8'],
  ['min_price', 'decimal'],
  ['max_price', 'decimal'],
  ['tick_size', 'decimal'],
  ['min_qty', 'decimal'],
  ['max_qty', 'decimal'],
  ['step_size', 'decimal'],
  ['min_notional', 'decimal'],
  ['max_notional', 'decimal'],
  ['apply_min_to_market', 'bool'],
  ['apply_max_to_market', 'bool'],
  // The other symbol filters of Binance's filters.md, so the ledger can check any of them; 0
  // where the exchange sets no such filter.
  /** NOTIONAL (or legacy MIN_NOTIONAL): minutes of the average price used for MARKET orders. */
  ['notional_avg_price_mins', 'u32'],
  /** MARKET_LOT_SIZE */
  ['market_min_qty', 'decimal'],
  ['market_max_qty', 'decimal'],
  ['market_step_size', 'decimal'],
  /** PERCENT_PRICE */
  ['multiplier_up', 'decimal'],
  ['multiplier_down', 'decimal'],
  /** PERCENT_PRICE_BY_SIDE */
  ['bid_multiplier_up', 'decimal'],
  ['bid_multiplier_down', 'decimal'],
  ['ask_multiplier_up', 'decimal'],
  ['ask_multiplier_down', 'decimal'],
  /** PERCENT_PRICE or PERCENT_PRICE_BY_SIDE: minutes of the average price. */
  ['percent_price_avg_price_mins', 'u32'],
  /** MAX_POSITION */
  ['max_position', 'decimal'],
  /** ICEBERG_PARTS, MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS, MAX_NUM_ICEBERG_ORDERS, MAX_NUM_ORDER_AMENDS, MAX_NUM_ORDER_LISTS */
  ['iceberg_parts', 'u32'],
  ['max_num_orders', 'u32'],
  ['max_num_algo_orders', 'u32'],
  ['max_num_iceberg_orders', 'u32'],
  ['max_num_order_amends', 'u32'],
  ['max_num_order_lists', 'u32'],
  /** TRAILING_DELTA (basis points) */
  ['min_trailing_above_delta', 'u32'],
  ['max_trailing_above_delta', 'u32'],
  ['min_trailing_below_delta', 'u32'],
  ['max_trailing_below_delta', 'u32'],
] as const);

export const OrderInput = defineLayout('OrderInput', [
  ['order_id', 'u64'],
  ['insert_time', 'time'],
  ...ROUTE,
  ['price', 'decimal'],
  ['volume', 'decimal'],
  /** MARKET buys by quote amount (Binance quoteOrderQty); 0 when volume is used. */
  ['quote_volume', 'decimal'],
  ['price_type', 'u8'],
  ['side', 'u8'],
  ['offset', 'u8'],
  ['time_condition', 'u8'],
] as const);

export const OrderAction = defineLayout('OrderAction', [
  ['order_action_id', 'u64'],
  ['order_id', 'u64'],
  ['insert_time', 'time'],
  ['action_flag', 'u8'],
] as const);

export const Order = defineLayout('Order', [
  ['order_id', 'u64'],
  ['insert_time', 'time'],
  ['update_time', 'time'],
  ['ex_order_id', EX_ID],
  ...ROUTE,
  ['price', 'decimal'],
  ['volume', 'decimal'],
  ['quote_volume', 'decimal'],
  ['volume_traded', 'decimal'],
  ['volume_left', 'decimal'],
  /** Cumulative quote amount traded (Binance cummulativeQuoteQty). */
  ['amount_traded', 'decimal'],
  ['status', 'u8'],
  ['price_type', 'u8'],
  ['side', 'u8'],
  ['offset', 'u8'],
  ['time_condition', 'u8'],
  ['error_id', 'i32'],
  ['error_msg', MESSAGE],
] as const);

/** One fill of an own order; `amount` is the quote amount the exchange reports for it. */
export const Trade = defineLayout('Trade', [
  ['trade_id', 'i64'],
  ['order_id', 'u64'],
  ['trade_time', 'time'],
  ['ex_order_id', EX_ID],
  ['ex_trade_id', EX_ID],
  ...ROUTE,
  ['price', 'decimal'],
  ['volume', 'decimal'],
  ['amount', 'decimal'],
  ['commission', 'decimal'],
  ['commission_asset', ASSET],
  ['side', 'u8'],
  ['offset', 'u8'],
  ['is_maker', 'bool'],
] as const);

/**
 * A strategy's position in one symbol on one account (the ledger's book): signed `volume` of the
 * base asset (net of commissions paid in it), `cost` the quote paid for it (average price =
 * cost / volume, computed where shown), PnL in the quote asset: realized, and unrealized at
 * `mark_price` (the last quote's mid).
 */
export const Position = defineLayout('Position', [
  ['update_time', 'time'],
  ['strategy_uid', 'u32'],
  ...ROUTE,
  ['direction', 'u8'],
  ['volume', 'decimal'],
  ['frozen', 'decimal'],
  ['cost', 'decimal'],
  ['realized_pnl', 'decimal'],
  ['unrealized_pnl', 'decimal'],
  ['mark_price', 'decimal'],
  ['fees', 'decimal'],
  ['fee_asset', { str: 16 }],
] as const);

export const Asset = defineLayout('Asset', [
  ['update_time', 'time'],
  ['source', SOURCE],
  ['account', ACCOUNT],
  ['asset', ASSET],
  ['free', 'decimal'],
  ['locked', 'decimal'],
] as const);

/** A gateway's connection state (enums.BrokerState); `message` says why (a ban, a bad key). */
export const BrokerStateUpdate = defineLayout('BrokerState', [
  ['update_time', 'time'],
  ['source', SOURCE],
  ['account', ACCOUNT],
  ['state', 'u8'],
  ['message', MESSAGE],
] as const);

/**
 * A process asks a market-data gateway (`source`) for market data of one symbol (Unsubscribe, the
 * same layout, withdraws it). `data` is a MarketData bit set; `depth_levels` (1..20) with Depth,
 * `bar_interval` and `bar_partial` (in-progress bars too) with Bar.
 */
export const Subscribe = defineLayout('Subscribe', [
  ['source', SOURCE],
  ['exchange', EXCHANGE],
  ['symbol', SYMBOL],
  ['data', 'u32'],
  ['depth_levels', 'u8'],
  ['bar_partial', 'bool'],
  ['bar_interval', { str: 8 }],
] as const);

/** A subscription a gateway cannot serve (unknown symbol, ...), for the process that asked. */
export const SubscribeError = defineLayout('SubscribeError', [
  ['requester', 'u32'],
  ['source', SOURCE],
  ['symbol', SYMBOL],
  ['data', 'u32'],
  ['error_id', 'i32'],
  ['error_msg', MESSAGE],
] as const);

export const OrderActionError = defineLayout('OrderActionError', [
  ['order_id', 'u64'],
  ['order_action_id', 'u64'],
  ['error_id', 'i32'],
  ['error_msg', MESSAGE],
] as const);

/** A strategy trades on an account (written to the ledger: its orders there are allowed). */
export const AddAccount = defineLayout('AddAccount', [
  ['source', SOURCE],
  ['account', ACCOUNT],
] as const);

/** The ledger's kill switch as it stands for a scope (enums.Scope, TradingState). */
export const TradingStateUpdate = defineLayout('TradingState', [
  ['update_time', 'time'],
  ['scope_kind', 'u8'],
  ['state', 'u8'],
  ['cancel_open', 'bool'],
  ['scope', { str: 64 }],
  ['reason', MESSAGE],
] as const);

/** A command for the ledger (the master writes it, to the ledger's dest): halt or resume a scope. */
export const LedgerCommand = defineLayout('LedgerCommand', [
  ['command', 'u8'],
  ['scope_kind', 'u8'],
  ['cancel_open', 'bool'],
  ['scope', { str: 64 }],
  ['reason', MESSAGE],
] as const);

/** A process announces itself (in its own journal) and the master records it (in the master's). */
export const Register = defineLayout('Register', [
  ['location_uid', 'u32'],
  ['pid', 'i32'],
  ['checkin_time', 'time'],
  ['location', { str: 160 }],
] as const);

export const Deregister = defineLayout('Deregister', [
  ['location_uid', 'u32'],
  ['pid', 'i32'],
  ['checkout_time', 'time'],
  ['location', { str: 160 }],
  ['reason', { str: 64 }],
] as const);

export const SessionStart = defineLayout('SessionStart', [
  ['pid', 'i32'],
  ['start_time', 'time'],
] as const);

export const SessionEnd = defineLayout('SessionEnd', [
  ['pid', 'i32'],
  ['end_time', 'time'],
] as const);

/** PageEnd carries no payload: the next frame is at the start of the next page. */
export const PageEnd = defineLayout('PageEnd', [] as const);

/** The master orders a process (dest) to stop: the graceful-shutdown message. */
export const RequestStop = defineLayout('RequestStop', [['reason', { str: 64 }]] as const);

export const MsgType = {
  Quote: 101,
  Transaction: 103,
  Depth: 104,
  Bar: 110,
  Ticker: 111,
  OrderInput: 201,
  OrderAction: 202,
  Order: 203,
  Trade: 204,
  Position: 205,
  Asset: 206,
  Instrument: 209,
  OrderActionError: 213,
  Subscribe: 302,
  Unsubscribe: 303,
  SubscribeError: 304,
  AddAccount: 306,
  BrokerState: 401,
  TradingState: 402,
  PageEnd: 10000,
  SessionStart: 10001,
  SessionEnd: 10002,
  Register: 10011,
  Deregister: 10012,
  RequestStop: 10021,
  LedgerCommand: 10030,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

/** msg_type -> layout; anything not here is opaque to generic tools (kfc journal shows its bytes). */
export const LAYOUTS: ReadonlyMap<number, Layout<any>> = new Map<number, Layout<any>>([
  [MsgType.Quote, Quote],
  [MsgType.Transaction, Transaction],
  [MsgType.Depth, Depth],
  [MsgType.Bar, Bar],
  [MsgType.Ticker, Ticker],
  [MsgType.OrderInput, OrderInput],
  [MsgType.OrderAction, OrderAction],
  [MsgType.Order, Order],
  [MsgType.Trade, Trade],
  [MsgType.Position, Position],
  [MsgType.Asset, Asset],
  [MsgType.Instrument, Instrument],
  [MsgType.OrderActionError, OrderActionError],
  [MsgType.Subscribe, Subscribe],
  [MsgType.Unsubscribe, Subscribe],
  [MsgType.SubscribeError, SubscribeError],
  [MsgType.BrokerState, BrokerStateUpdate],
  [MsgType.AddAccount, AddAccount],
  [MsgType.TradingState, TradingStateUpdate],
  [MsgType.LedgerCommand, LedgerCommand],
  [MsgType.PageEnd, PageEnd],
  [MsgType.SessionStart, SessionStart],
  [MsgType.SessionEnd, SessionEnd],
  [MsgType.Register, Register],
  [MsgType.Deregister, Deregister],
  [MsgType.RequestStop, RequestStop],
]);

const NAME_BY_TYPE = new Map<number, string>(Object.entries(MsgType).map(([k, v]) => [v, k]));

export function msgTypeName(type: number): string {
  return NAME_BY_TYPE.get(type) ?? String(type);
}

/** Accepts a name ("Quote", case-insensitive) or a number ("101"). */
export function parseMsgType(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  for (const [name, code] of Object.entries(MsgType)) if (name.toLowerCase() === text.toLowerCase()) return code;
  return undefined;
}

export type QuoteEvent = ReturnType<typeof Quote.empty>;
export type DepthEvent = ReturnType<typeof Depth.empty>;
export type TransactionEvent = ReturnType<typeof Transaction.empty>;
export type BarEvent = ReturnType<typeof Bar.empty>;
export type TickerEvent = ReturnType<typeof Ticker.empty>;
export type SubscribeErrorEvent = ReturnType<typeof SubscribeError.empty>;
export type InstrumentEvent = ReturnType<typeof Instrument.empty>;
export type OrderInputEvent = ReturnType<typeof OrderInput.empty>;
export type OrderActionEvent = ReturnType<typeof OrderAction.empty>;
export type OrderEvent = ReturnType<typeof Order.empty>;
export type TradeEvent = ReturnType<typeof Trade.empty>;
export type PositionEvent = ReturnType<typeof Position.empty>;
export type AssetEvent = ReturnType<typeof Asset.empty>;
export type BrokerStateEvent = ReturnType<typeof BrokerStateUpdate.empty>;
export type SubscribeEvent = ReturnType<typeof Subscribe.empty>;
export type RegisterEvent = ReturnType<typeof Register.empty>;
export type AddAccountEvent = ReturnType<typeof AddAccount.empty>;
export type TradingStateEvent = ReturnType<typeof TradingStateUpdate.empty>;
export type LedgerCommandEvent = ReturnType<typeof LedgerCommand.empty>;
export type DeregisterEvent = ReturnType<typeof Deregister.empty>;
