/**
 * Enumerations of the domain model. Numeric values are what the binary layouts store; names follow
 * Kungfu's where Kungfu has one (see ../shared/reference/kungfu.md).
 */

function names<T extends Record<string, number>>(e: T): (value: number) => string {
  const byValue = new Map<number, string>(Object.entries(e).map(([k, v]) => [v, k]));
  return (value) => byValue.get(value) ?? `Unknown(${value})`;
}

export const OrderStatus = {
  Unknown: 0,
  Submitted: 1,
  Pending: 2,
  Cancelled: 3,
  Error: 4,
  Filled: 5,
  PartialFilledNotActive: 6,
  PartialFilledActive: 7,
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];
export const orderStatusName = names(OrderStatus);

/** A final order will never change again: no more fills, no cancel possible. */
export function isFinalStatus(status: number): boolean {
  return (
    status === OrderStatus.Cancelled ||
    status === OrderStatus.Error ||
    status === OrderStatus.Filled ||
    status === OrderStatus.PartialFilledNotActive
  );
}

export const Side = { Buy: 0, Sell: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];
export const sideName = names(Side);

export const Offset = { Open: 0, Close: 1 } as const;
export type Offset = (typeof Offset)[keyof typeof Offset];
export const offsetName = names(Offset);

export const PriceType = { Limit: 0, Market: 1, LimitMaker: 2 } as const;
export type PriceType = (typeof PriceType)[keyof typeof PriceType];
export const priceTypeName = names(PriceType);

export const TimeCondition = { IOC: 0, GFD: 1, GTC: 2, FOK: 3 } as const;
export type TimeCondition = (typeof TimeCondition)[keyof typeof TimeCondition];
export const timeConditionName = names(TimeCondition);

export const Direction = { Long: 0, Short: 1 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];
export const directionName = names(Direction);

export const BrokerState = {
  Unknown: 0,
  Idle: 1,
  DisConnected: 2,
  Connected: 3,
  LoggedIn: 4,
  LoginFailed: 5,
  Ready: 100,
} as const;
export type BrokerState = (typeof BrokerState)[keyof typeof BrokerState];
export const brokerStateName = names(BrokerState);

export const OrderActionFlag = { Cancel: 0 } as const;
export type OrderActionFlag = (typeof OrderActionFlag)[keyof typeof OrderActionFlag];

/** Binance's symbol status (enums.md): TRADING, HALT, BREAK, END_OF_DAY, CANCEL_ONLY. */
export const InstrumentStatus = { Trading: 0, Halted: 1, Break: 2, EndOfDay: 3, CancelOnly: 4 } as const;
export type InstrumentStatus = (typeof InstrumentStatus)[keyof typeof InstrumentStatus];

/**
 * What a Subscribe asks for: a bit set. Quote: best bid/ask (bookTicker); Depth: the top N of a
 * maintained order book; Transaction: public trades; AggTrade: aggregated public trades (delivered
 * as Transaction events with `aggregate` set); Bar: klines of one interval; Ticker: 24 h statistics.
 */
export const MarketData = { Quote: 1, Depth: 2, Transaction: 4, AggTrade: 8, Bar: 16, Ticker: 32 } as const;
export type MarketData = (typeof MarketData)[keyof typeof MarketData];
export const ALL_MARKET_DATA = 63;
export const marketDataNames = (bits: number): string[] => Object.entries(MarketData).filter(([, v]) => (bits & v) !== 0).map(([k]) => k);

/** A Depth event's book: whole and current, or being rebuilt (its levels are the last good ones). */
export const BookState = { Live: 0, Stale: 1 } as const;
export type BookState = (typeof BookState)[keyof typeof BookState];

/** Binance kline intervals, as Binance names them. */
export const BAR_INTERVALS = ['1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'] as const;
export type BarInterval = (typeof BAR_INTERVALS)[number];

/** Whether a scope may trade (the ledger's kill switch): Halted accepts cancels only. */
export const TradingState = { Active: 0, Halted: 1 } as const;
export type TradingState = (typeof TradingState)[keyof typeof TradingState];
export const tradingStateName = names(TradingState);

/** What a halt applies to: everything, one account (`binance_my_account`), or one strategy. */
export const Scope = { All: 0, Account: 1, Strategy: 2 } as const;
export type Scope = (typeof Scope)[keyof typeof Scope];
export const scopeName = names(Scope);

export const LedgerCommandKind = { Halt: 1, Resume: 2 } as const;
export type LedgerCommandKind = (typeof LedgerCommandKind)[keyof typeof LedgerCommandKind];
