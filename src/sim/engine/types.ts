/**
 * The simulated exchange's own vocabulary: Binance Spot's names and enums (see
 * ../shared/reference/binance-spot.md), with exact decimals. The wire format (strings, JSON) is
 * the REST/WS layer's business; the engine speaks these values.
 */
import type { Decimal } from '../../model/decimal.js';

export type SimSide = 'BUY' | 'SELL';
export type SimOrderType = 'LIMIT' | 'MARKET' | 'LIMIT_MAKER' | TriggerType;
/** Orders that wait for the last trade price to reach their stopPrice, then work as a MARKET or LIMIT order. */
export type TriggerType = 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT';
export const TRIGGER_TYPES: readonly TriggerType[] = ['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
export const ORDER_TYPES: readonly SimOrderType[] = ['LIMIT', 'MARKET', 'LIMIT_MAKER', ...TRIGGER_TYPES];
export const isTrigger = (type: SimOrderType): type is TriggerType => (TRIGGER_TYPES as readonly string[]).includes(type);
/** Whether an order of this type trades as a MARKET order once it works (STOP_LOSS and TAKE_PROFIT do). */
export const atMarket = (type: SimOrderType): boolean => type === 'MARKET' || type === 'STOP_LOSS' || type === 'TAKE_PROFIT';
export type SimTimeInForce = 'GTC' | 'IOC' | 'FOK';
export type SimOrderStatus = 'NEW' | 'PENDING_NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED' | 'EXPIRED_IN_MATCH';
export type ExecutionType = 'NEW' | 'CANCELED' | 'REJECTED' | 'TRADE' | 'EXPIRED' | 'TRADE_PREVENTION';
/** Why an order was rejected after it was accepted (executionReport `r`): a pending order that could not lock its funds. */
export type RejectReason = 'NONE' | 'INSUFFICIENT_BALANCES' | 'WOULD_MATCH_IMMEDIATELY';
/** Why an order expired (Binance's `expiryReason` / `eR`), for the reasons the sim produces. */
export type ExpiryReason = 'UNFILLED_IOC_QUANTITY_EXPIRED' | 'UNFILLED_FOK_ORDER_EXPIRED' | 'INSUFFICIENT_LIQUIDITY' | 'REJECTED';

/**
 * Self-trade prevention (faqs/stp_faq.md): what happens when an order would trade with an order of
 * the same account. The taker's mode decides. DECREMENT and TRANSFER are not served.
 */
export type StpMode = 'NONE' | 'EXPIRE_TAKER' | 'EXPIRE_MAKER' | 'EXPIRE_BOTH';
export const STP_MODES: readonly StpMode[] = ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'];
/** Binance's usual symbol default (exchangeInfo `defaultSelfTradePreventionMode`). */
export const DEFAULT_STP: StpMode = 'EXPIRE_MAKER';

/** A symbol and its exchange filters (Binance exchangeInfo). */
export interface SymbolSpec {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  /** Decimals Binance prints for the base and quote assets (baseAssetPrecision etc.). */
  basePrecision: number;
  quotePrecision: number;
  minPrice: Decimal;
  maxPrice: Decimal;
  tickSize: Decimal;
  minQty: Decimal;
  maxQty: Decimal;
  stepSize: Decimal;
  minNotional: Decimal;
  maxNotional: Decimal;
  applyMinToMarket: boolean;
  applyMaxToMarket: boolean;
}

export interface NewOrderRequest {
  account: string;
  symbol: string;
  side: SimSide;
  type: SimOrderType;
  timeInForce?: SimTimeInForce;
  /** Base quantity; for MARKET either this or quoteOrderQty. */
  quantity?: Decimal;
  /** MARKET only: spend (BUY) or receive (SELL) this much quote. */
  quoteOrderQty?: Decimal;
  price?: Decimal;
  /** Trigger orders: the last trade price that sets them working. */
  stopPrice?: Decimal;
  clientOrderId: string;
  /** Default: DEFAULT_STP. */
  selfTradePreventionMode?: StpMode;
}

export interface SimFill {
  price: Decimal;
  qty: Decimal;
  quoteQty: Decimal;
  commission: Decimal;
  commissionAsset: string;
  tradeId: number;
  isMaker: boolean;
}

export interface SimOrder {
  orderId: number;
  clientOrderId: string;
  account: string;
  symbol: string;
  side: SimSide;
  type: SimOrderType;
  timeInForce: SimTimeInForce;
  /** 0 for MARKET. */
  price: Decimal;
  origQty: Decimal;
  origQuoteOrderQty: Decimal;
  executedQty: Decimal;
  cummulativeQuoteQty: Decimal;
  status: SimOrderStatus;
  /** ms */
  time: number;
  updateTime: number;
  /** Whether the order rests on the book. */
  isWorking: boolean;
  /** When a trigger order started working (its trigger time); undefined otherwise. */
  workingTime?: number;
  /** Trigger orders' stop price; 0 for the others. */
  stopPrice: Decimal;
  /** The order list it belongs to, or -1. */
  orderListId: number;
  /** What is still locked for this order (quote for BUY, base for SELL). */
  locked: Decimal;
  selfTradePreventionMode: StpMode;
  /** Quantity expired by self-trade prevention (origQty - executedQty - preventedQty is what can still trade). */
  preventedQty: Decimal;
  /** The prevented match that expired this order, if one did. */
  preventedMatchId?: number;
  expiryReason?: ExpiryReason;
}

/** A match that self-trade prevention stopped (the placement response's `preventedMatches`). */
export interface PreventedMatch {
  preventedMatchId: number;
  makerOrderId: number;
  price: Decimal;
  /** Set when the taker expired (EXPIRE_TAKER, EXPIRE_BOTH). */
  takerPreventedQuantity?: Decimal;
  /** Set when the maker expired (EXPIRE_MAKER, EXPIRE_BOTH). */
  makerPreventedQuantity?: Decimal;
}

/** What a TRADE_PREVENTION execution report adds: the match that did not happen. */
export interface Prevention {
  counterOrderId: number;
  /** Quantity this event expired (executionReport `B`). */
  lastPreventedQty: Decimal;
  /** The trade that would have happened without STP (`pl`, `pL`, `pY`). */
  qty: Decimal;
  price: Decimal;
  quoteQty: Decimal;
}

/** An own trade, as GET /api/v3/myTrades shows it. */
export interface SimTrade {
  symbol: string;
  id: number;
  orderId: number;
  orderListId: number;
  account: string;
  price: Decimal;
  qty: Decimal;
  quoteQty: Decimal;
  commission: Decimal;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
  isMaker: boolean;
}

/** A public trade (the @trade stream). */
export interface PublicTrade {
  symbol: string;
  tradeId: number;
  /** The taker order (trades of one taker at one price make one aggregate trade). */
  takerOrderId: number;
  price: Decimal;
  qty: Decimal;
  time: number;
  buyerIsMaker: boolean;
}

export interface Balance {
  free: Decimal;
  locked: Decimal;
}

/**
 * What the engine tells the outside after each operation, in Binance's order: execution reports
 * of the taker and the makers, then the balances that changed (one outboundAccountPosition per
 * account touched).
 */
export type EngineEvent =
  | { kind: 'execution'; order: SimOrder; execution: ExecutionType; fill?: SimFill; time: number; cancelClientOrderId?: string; prevention?: Prevention; rejectReason?: RejectReason }
  /** An order list's new state (the listStatus event), after its orders' execution reports. */
  | { kind: 'listStatus'; list: OrderListView; time: number }
  | { kind: 'balances'; account: string; balances: Map<string, Balance>; time: number }
  | { kind: 'trade'; trade: PublicTrade }
  /** A price level's new total quantity (0: gone), with the book's update id after the change. */
  | { kind: 'book'; symbol: string; side: SimSide; price: Decimal; qty: Decimal; updateId: number };

export type ContingencyType = 'OCO' | 'OTO';
export type ListStatusType = 'EXEC_STARTED' | 'ALL_DONE';
export type ListOrderStatus = 'EXECUTING' | 'ALL_DONE';

/** An order list as its answers and listStatus events show it (the orders are copies). */
export interface OrderListView {
  orderListId: number;
  contingencyType: ContingencyType;
  listStatusType: ListStatusType;
  listOrderStatus: ListOrderStatus;
  listClientOrderId: string;
  transactionTime: number;
  symbol: string;
  account: string;
  orders: SimOrder[];
}

/** A match self-trade prevention stopped, as GET myPreventedMatches lists it. */
export interface PreventedMatchRecord {
  symbol: string;
  account: string;
  preventedMatchId: number;
  takerOrderId: number;
  makerOrderId: number;
  selfTradePreventionMode: StpMode;
  price: Decimal;
  takerPreventedQuantity?: Decimal;
  makerPreventedQuantity?: Decimal;
  transactTime: number;
}

/** A rejection with Binance's code and message; the REST/WS layer turns it into the error body. */
export class ExchangeError extends Error {
  override name = 'ExchangeError';
  constructor(
    readonly code: number,
    message: string,
    readonly httpStatus = 400,
    /** Extra answer fields Binance sends with some errors (cancelReplace's `data`). */
    readonly data?: unknown,
  ) {
    super(message);
  }
}
