/**
 * Binance JSON <-> the TD's venue types, as pure functions (no I/O, no state): executionReport,
 * order answers (place, cancel, query), myTrades rows, balances; and an OrderInput as order
 * parameters. Everything from the exchange is untrusted: each field is checked, and a bad one is a
 * MappingError naming it. Amounts go straight from decimal strings to fixed point, never through a
 * float.
 */
import { formatDecimal, mul, parseDecimal, ZERO, type Decimal } from '../../../model/decimal.js';
import { OrderStatus, PriceType, Side, TimeCondition } from '../../../model/enums.js';
import type { OrderInputEvent } from '../../../model/events.js';

export class MappingError extends Error {
  override name = 'MappingError';
}

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MappingError(`${what}: expected an object`);
  return v as Json;
}

function str(o: Json, k: string, max = 64): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length > max) throw new MappingError(`${k}: expected a text of at most ${max} characters`);
  return v;
}

function int(o: Json, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new MappingError(`${k}: expected an integer`);
  return v;
}

function dec(o: Json, k: string): Decimal {
  const v = o[k];
  if (typeof v !== 'string' || v.length > 40) throw new MappingError(`${k}: expected a decimal text`);
  try {
    return parseDecimal(v);
  } catch {
    throw new MappingError(`${k}: "${v}" is not an exact decimal of at most 8 places`);
  }
}

/** One fill of one order, from whichever message told of it. */
export interface Fill {
  tradeId: number;
  qty: Decimal;
  price: Decimal;
  /** Quote amount of this fill (price x qty as the exchange computed it). */
  quote: Decimal;
  commission: Decimal;
  commissionAsset: string;
  maker: boolean;
  /** Exchange time, ms. */
  time: number;
  /** The order's executed quantity before this fill, when the message says (executionReport, FULL). */
  cumBefore?: Decimal;
}

/** An order's state as the exchange reports it (an answer or a report). */
export interface OrderState {
  symbol: string;
  exOrderId: number;
  clientOrderId: string;
  /** Binance's status word (NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED, EXPIRED_IN_MATCH, REJECTED). */
  status: string;
  executedQty: Decimal;
  cumQuote: Decimal;
  origQty: Decimal;
  price: Decimal;
  side: string;
  type: string;
  timeInForce: string;
  /** Why it expired or was refused, when the exchange says. */
  reason: string;
  stpMode: string;
}

export interface ExecutionReport extends OrderState {
  /** The cancel's own client id is in `c`; the order's is in `C` (origClientOrderId). */
  execType: string;
  eventTime: number;
  fill: Fill | undefined;
}

export function parseExecutionReport(raw: unknown): ExecutionReport {
  const e = obj(raw, 'executionReport');
  const execType = str(e, 'x', 20);
  const c = str(e, 'c', 40);
  const C = typeof e.C === 'string' ? e.C : '';
  const cumQty = dec(e, 'z');
  const tradeId = int(e, 't');
  let fill: Fill | undefined;
  if (execType === 'TRADE') {
    if (tradeId < 0) throw new MappingError('t: a TRADE report without a trade id');
    const qty = dec(e, 'l');
    fill = {
      tradeId,
      qty,
      price: dec(e, 'L'),
      quote: dec(e, 'Y'),
      commission: dec(e, 'n'),
      commissionAsset: e.N === null ? '' : str(e, 'N', 16),
      maker: e.m === true,
      time: int(e, 'T'),
      cumBefore: cumQty - qty,
    };
  }
  const reason = typeof e.eR === 'string' ? e.eR : typeof e.r === 'string' && e.r !== 'NONE' ? e.r : '';
  return {
    symbol: str(e, 's', 32),
    exOrderId: int(e, 'i'),
    clientOrderId: C !== '' ? C : c,
    status: str(e, 'X', 20),
    executedQty: cumQty,
    cumQuote: dec(e, 'Z'),
    origQty: dec(e, 'q'),
    price: dec(e, 'p'),
    side: str(e, 'S', 8),
    type: str(e, 'o', 20),
    timeInForce: str(e, 'f', 8),
    reason,
    stpMode: typeof e.V === 'string' ? e.V : '',
    execType,
    eventTime: int(e, 'E'),
    fill,
  };
}

/** An order as place (RESULT/FULL), cancel and query answers carry it. */
export function parseOrder(raw: unknown): OrderState {
  const o = obj(raw, 'order');
  return {
    symbol: str(o, 'symbol', 32),
    exOrderId: int(o, 'orderId'),
    // A cancel's answer: clientOrderId is the cancel's own id, origClientOrderId the order's.
    clientOrderId: typeof o.origClientOrderId === 'string' ? o.origClientOrderId : str(o, 'clientOrderId', 40),
    status: str(o, 'status', 20),
    executedQty: dec(o, 'executedQty'),
    cumQuote: dec(o, 'cummulativeQuoteQty'),
    origQty: dec(o, 'origQty'),
    price: dec(o, 'price'),
    side: str(o, 'side', 8),
    type: str(o, 'type', 20),
    timeInForce: typeof o.timeInForce === 'string' ? o.timeInForce : '',
    reason: typeof o.expiryReason === 'string' ? o.expiryReason : '',
    stpMode: typeof o.selfTradePreventionMode === 'string' ? o.selfTradePreventionMode : '',
  };
}

/** The fills of a FULL answer, each with the executed quantity before it (they come in order). */
export function parseFullFills(raw: unknown, time: number): Fill[] {
  const fills = obj({ fills: raw }, 'answer').fills;
  if (fills === undefined) return [];
  if (!Array.isArray(fills) || fills.length > 10_000) throw new MappingError('fills: expected an array');
  let cum = ZERO;
  return fills.map((f) => {
    const o = obj(f, 'fill');
    const qty = dec(o, 'qty');
    const price = dec(o, 'price');
    const fill: Fill = { tradeId: int(o, 'tradeId'), qty, price, quote: quoteOf(price, qty), commission: dec(o, 'commission'), commissionAsset: str(o, 'commissionAsset', 16), maker: false, time, cumBefore: cum };
    cum += qty;
    return fill;
  });
}

/** A fill's quote amount, rounded down as Binance (and the sim) settle it. */
const quoteOf = (price: Decimal, qty: Decimal): Decimal => mul(price, qty, 'down');

/** A row of GET /api/v3/myTrades (or WS myTrades). */
export function parseMyTrade(raw: unknown): Fill & { exOrderId: number; symbol: string } {
  const t = obj(raw, 'trade');
  return {
    symbol: str(t, 'symbol', 32),
    exOrderId: int(t, 'orderId'),
    tradeId: int(t, 'id'),
    qty: dec(t, 'qty'),
    price: dec(t, 'price'),
    quote: dec(t, 'quoteQty'),
    commission: dec(t, 'commission'),
    commissionAsset: str(t, 'commissionAsset', 16),
    maker: t.isMaker === true,
    time: int(t, 'time'),
  };
}

export interface Balance {
  asset: string;
  free: Decimal;
  locked: Decimal;
}

/** GET /api/v3/account's balances. */
export function parseAccountBalances(raw: unknown): Balance[] {
  const a = obj(raw, 'account');
  if (!Array.isArray(a.balances) || a.balances.length > 100_000) throw new MappingError('balances: expected an array');
  return a.balances.map((b) => {
    const o = obj(b, 'balance');
    return { asset: str(o, 'asset', 16), free: dec(o, 'free'), locked: dec(o, 'locked') };
  });
}

/** outboundAccountPosition's balances (B: [{a, f, l}]). */
export function parseAccountPosition(raw: unknown): Balance[] {
  const e = obj(raw, 'outboundAccountPosition');
  if (!Array.isArray(e.B) || e.B.length > 100_000) throw new MappingError('B: expected an array');
  return e.B.map((b) => {
    const o = obj(b, 'balance');
    return { asset: str(o, 'a', 16), free: dec(o, 'f'), locked: dec(o, 'l') };
  });
}

/** Our status for Binance's, given what executed; `message` says why an order ended as it did. */
export function statusOf(s: OrderState): { status: OrderStatus; message: string } {
  const partial = s.executedQty > ZERO;
  switch (s.status) {
    case 'NEW':
    case 'PENDING_NEW':
      return { status: partial ? OrderStatus.PartialFilledActive : OrderStatus.Submitted, message: '' };
    case 'PARTIALLY_FILLED':
    case 'PENDING_CANCEL':
      return { status: partial ? OrderStatus.PartialFilledActive : OrderStatus.Submitted, message: '' };
    case 'FILLED':
      return { status: OrderStatus.Filled, message: '' };
    case 'CANCELED':
      return { status: partial ? OrderStatus.PartialFilledNotActive : OrderStatus.Cancelled, message: '' };
    case 'EXPIRED':
      return { status: partial ? OrderStatus.PartialFilledNotActive : OrderStatus.Cancelled, message: s.reason ? `expired: ${s.reason}` : 'expired' };
    case 'EXPIRED_IN_MATCH':
      return { status: partial ? OrderStatus.PartialFilledNotActive : OrderStatus.Cancelled, message: `expired in match: STP ${s.stpMode || 'prevented a self-trade'}` };
    case 'REJECTED':
      return { status: OrderStatus.Error, message: `rejected${s.reason ? `: ${s.reason}` : ''}` };
    default:
      throw new MappingError(`status: unknown order status "${s.status.slice(0, 20)}"`);
  }
}

const TIF: Record<number, string> = { [TimeCondition.GTC]: 'GTC', [TimeCondition.IOC]: 'IOC', [TimeCondition.FOK]: 'FOK', [TimeCondition.GFD]: 'GTC' };

/**
 * The order parameters of an OrderInput (POST /api/v3/order and order.place take the same), or a
 * MappingError saying what cannot be sent. FULL answers carry the fills at once.
 */
export function orderParams(input: OrderInputEvent, clientOrderId: string): Record<string, string> {
  const p: Record<string, string> = { symbol: input.symbol, side: input.side === Side.Buy ? 'BUY' : input.side === Side.Sell ? 'SELL' : '' };
  if (p.side === '') throw new MappingError(`side: ${input.side} is neither Buy nor Sell`);
  if (!/^[A-Z0-9]{1,20}$/.test(input.symbol)) throw new MappingError(`symbol: "${input.symbol.slice(0, 32)}" is not a Binance symbol`);
  switch (input.price_type) {
    case PriceType.Limit:
      p.type = 'LIMIT';
      p.timeInForce = TIF[input.time_condition] ?? 'GTC';
      break;
    case PriceType.LimitMaker:
      p.type = 'LIMIT_MAKER';
      break;
    case PriceType.Market:
      p.type = 'MARKET';
      break;
    default:
      throw new MappingError(`price_type: ${input.price_type} is not Limit, Market or LimitMaker`);
  }
  if (p.type === 'MARKET' && input.volume === ZERO) {
    if (input.quote_volume <= ZERO) throw new MappingError('volume: a market order needs a volume or a quote_volume above 0');
    p.quoteOrderQty = formatDecimal(input.quote_volume);
  } else {
    if (input.volume <= ZERO) throw new MappingError(`volume: ${formatDecimal(input.volume)} is not above 0`);
    p.quantity = formatDecimal(input.volume);
  }
  if (p.type !== 'MARKET') {
    if (input.price <= ZERO) throw new MappingError(`price: ${formatDecimal(input.price)} is not above 0`);
    p.price = formatDecimal(input.price);
  }
  p.newClientOrderId = clientOrderId;
  p.newOrderRespType = 'FULL';
  return p;
}
