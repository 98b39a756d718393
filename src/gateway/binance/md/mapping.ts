/**
 * Binance market-stream JSON -> our events: pure functions, no I/O (tardis-node's mappers), tested
 * on recorded frames (test/fixtures/binance/). Every field is checked: the exchange is an input
 * like any other. A message that does not have the shape its kind promises throws MappingError,
 * which names the kind, so the feed can log each kind of problem once and go on.
 *
 * Prices and quantities go straight from their decimal strings into 8-decimal fixed point
 * (fixed.ts), never through parseFloat. Times: the exchange's ms become journal ns.
 */
import { BAR_INTERVALS, type BarInterval } from '../../../model/enums.js';
import type { BarEvent, QuoteEvent, TickerEvent, TransactionEvent } from '../../../model/events.js';
import { Bar, Quote, Ticker, Transaction } from '../../../model/events.js';
import { FixedError, fixedOf, msToNs } from './fixed.js';

/** What our events carry in `exchange` for this source. */
export const EXCHANGE = 'BINANCE';

export class MappingError extends Error {
  override name = 'MappingError';
  constructor(
    /** The kind of message (e.g. "depthUpdate", "bookTicker", "message"): logs say each once. */
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

export function record(value: unknown, kind: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MappingError(kind, `${kind}: expected an object`);
  return value as Json;
}

/** A whole number in [min, 2^53). Binance ids and ms times; -1 stands for "none" in some ids. */
export function int(o: Json, key: string, kind: string, min = 0): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new MappingError(kind, `${kind}: field ${key} must be a whole number >= ${min}, got ${show(v)}`);
  return v;
}

const SYMBOL_RE = /^[A-Z0-9]{1,20}$/;

export function symbolOf(o: Json, key: string, kind: string): string {
  const v = o[key];
  if (typeof v !== 'string' || !SYMBOL_RE.test(v)) throw new MappingError(kind, `${kind}: field ${key} must be a symbol like BTCUSDT, got ${show(v)}`);
  return v;
}

function bool(o: Json, key: string, kind: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new MappingError(kind, `${kind}: field ${key} must be true or false, got ${show(v)}`);
  return v;
}

/** A decimal string field as fixed-point units (Number). */
export function units(o: Json, key: string, kind: string): number {
  try {
    return fixedOf(o[key], `${kind}: field ${key}`);
  } catch (err) {
    throw new MappingError(kind, (err as FixedError).message);
  }
}

const dec = (o: Json, key: string, kind: string): bigint => BigInt(units(o, key, kind));

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}...` : v);
  if (v === undefined) return 'nothing';
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

// ---- stream names -------------------------------------------------------------------------------

/** The kinds of market stream this gateway uses. */
export type StreamKind = 'bookTicker' | 'depth' | 'trade' | 'aggTrade' | 'kline' | 'ticker';

export interface StreamKey {
  /** Upper case, as events carry it. */
  symbol: string;
  kind: StreamKind;
  /** kline only. */
  interval?: BarInterval;
}

/** The diff stream books are kept from: every 100 ms (Binance's faster diff stream). */
const DEPTH_SUFFIX = 'depth@100ms';

export function streamName(key: StreamKey): string {
  const s = key.symbol.toLowerCase();
  switch (key.kind) {
    case 'depth':
      return `${s}@${DEPTH_SUFFIX}`;
    case 'kline':
      return `${s}@kline_${key.interval}`;
    default:
      return `${s}@${key.kind}`;
  }
}

const STREAM_RE = /^([a-z0-9]{1,20})@(bookTicker|depth@100ms|trade|aggTrade|ticker|kline_([0-9]{1,2}[smhdwM]))$/;

/** A stream name we subscribe to, parsed back; undefined for any other. */
export function parseStreamName(stream: string): StreamKey | undefined {
  const m = STREAM_RE.exec(stream);
  if (!m) return undefined;
  const symbol = m[1]!.toUpperCase();
  if (m[3] !== undefined) return (BAR_INTERVALS as readonly string[]).includes(m[3]) ? { symbol, kind: 'kline', interval: m[3] as BarInterval } : undefined;
  return { symbol, kind: m[2] === DEPTH_SUFFIX ? 'depth' : (m[2] as StreamKind) };
}

// ---- messages on a combined-stream connection ---------------------------------------------------

export type StreamMessage =
  | { type: 'data'; stream: string; data: unknown }
  | { type: 'reply'; id: number | string | null; ok: true; result: unknown }
  | { type: 'reply'; id: number | string | null; ok: false; code: number; msg: string }
  | { type: 'serverShutdown'; time: number };

/** Sorts a parsed message of a `/stream` connection: market data, an answer to a control request, or serverShutdown. */
export function classifyMessage(value: unknown): StreamMessage {
  const o = record(value, 'message');
  if (typeof o.stream === 'string' && 'data' in o) {
    if (o.stream === '!serverShutdown' || (typeof o.data === 'object' && o.data !== null && (o.data as Json).e === 'serverShutdown')) {
      return { type: 'serverShutdown', time: int(record(o.data, 'serverShutdown'), 'E', 'serverShutdown') };
    }
    return { type: 'data', stream: o.stream, data: o.data };
  }
  if (o.e === 'serverShutdown') return { type: 'serverShutdown', time: int(o, 'E', 'serverShutdown') };
  if ('id' in o && typeof o.code === 'number' && typeof o.msg === 'string') {
    // The docs' table of errors shows them flat: {"code", "msg", "id"}.
    const id = o.id;
    if (!(id === null || typeof id === 'number' || typeof id === 'string')) throw new MappingError('reply', `reply: id must be a number, a string or null, got ${show(id)}`);
    return { type: 'reply', id, ok: false, code: o.code, msg: o.msg.slice(0, 300) };
  }
  if ('id' in o && ('result' in o || 'error' in o)) {
    const id = o.id;
    if (!(id === null || typeof id === 'number' || typeof id === 'string')) throw new MappingError('reply', `reply: id must be a number, a string or null, got ${show(id)}`);
    if ('error' in o) {
      const e = record(o.error, 'reply');
      const code = typeof e.code === 'number' ? e.code : NaN;
      if (!Number.isInteger(code) || typeof e.msg !== 'string') throw new MappingError('reply', 'reply: error must be {code, msg}');
      return { type: 'reply', id, ok: false, code, msg: e.msg.slice(0, 300) };
    }
    return { type: 'reply', id, ok: true, result: o.result };
  }
  throw new MappingError('message', `message: neither market data ({stream, data}) nor a reply ({result|error, id}); keys ${Object.keys(o).slice(0, 5).join(',')}`);
}

// ---- market data ---------------------------------------------------------------------------------

/** `<s>@bookTicker` -> Quote (Binance sends no event time: data_time 0). */
export function mapBookTicker(data: unknown): QuoteEvent {
  const k = 'bookTicker';
  const o = record(data, k);
  const q = Quote.empty();
  q.symbol = symbolOf(o, 's', k);
  q.exchange = EXCHANGE;
  q.update_id = BigInt(int(o, 'u', k));
  q.bid_price = dec(o, 'b', k);
  q.bid_volume = dec(o, 'B', k);
  q.ask_price = dec(o, 'a', k);
  q.ask_volume = dec(o, 'A', k);
  return q;
}

function eventType(o: Json, kind: string): void {
  if (o.e !== kind) throw new MappingError(kind, `${kind}: field e must be "${kind}", got ${show(o.e)}`);
}

/** `<s>@trade` -> Transaction. */
export function mapTrade(data: unknown): TransactionEvent {
  const k = 'trade';
  const o = record(data, k);
  eventType(o, k);
  const t = Transaction.empty();
  t.symbol = symbolOf(o, 's', k);
  t.exchange = EXCHANGE;
  t.data_time = msToNs(int(o, 'E', k));
  t.trade_time = msToNs(int(o, 'T', k));
  t.trade_id = BigInt(int(o, 't', k));
  t.first_trade_id = t.trade_id;
  t.last_trade_id = t.trade_id;
  t.price = dec(o, 'p', k);
  t.volume = dec(o, 'q', k);
  t.buyer_is_maker = bool(o, 'm', k);
  return t;
}

/** `<s>@aggTrade` -> Transaction with `aggregate` set (trade_id is the aggregate id). */
export function mapAggTrade(data: unknown): TransactionEvent {
  const k = 'aggTrade';
  const o = record(data, k);
  eventType(o, k);
  const t = Transaction.empty();
  t.symbol = symbolOf(o, 's', k);
  t.exchange = EXCHANGE;
  t.data_time = msToNs(int(o, 'E', k));
  t.trade_time = msToNs(int(o, 'T', k));
  t.trade_id = BigInt(int(o, 'a', k));
  t.first_trade_id = BigInt(int(o, 'f', k));
  t.last_trade_id = BigInt(int(o, 'l', k));
  t.price = dec(o, 'p', k);
  t.volume = dec(o, 'q', k);
  t.buyer_is_maker = bool(o, 'm', k);
  t.aggregate = true;
  return t;
}

/** `<s>@kline_<interval>` -> Bar (`closed` once the interval is over). */
export function mapKline(data: unknown): BarEvent {
  const k = 'kline';
  const o = record(data, k);
  eventType(o, k);
  const x = record(o.k, k);
  const interval = x.i;
  if (typeof interval !== 'string' || !(BAR_INTERVALS as readonly string[]).includes(interval)) throw new MappingError(k, `kline: k.i must be a Binance interval, got ${show(interval)}`);
  const b = Bar.empty();
  b.symbol = symbolOf(o, 's', k);
  b.exchange = EXCHANGE;
  b.interval = interval;
  b.data_time = msToNs(int(o, 'E', k));
  b.start_time = msToNs(int(x, 't', k));
  b.end_time = msToNs(int(x, 'T', k));
  b.open = dec(x, 'o', k);
  b.high = dec(x, 'h', k);
  b.low = dec(x, 'l', k);
  b.close = dec(x, 'c', k);
  b.volume = dec(x, 'v', k);
  b.quote_volume = dec(x, 'q', k);
  b.taker_buy_volume = dec(x, 'V', k);
  b.taker_buy_quote_volume = dec(x, 'Q', k);
  b.trade_count = BigInt(int(x, 'n', k));
  // A kline without trades has first and last trade id -1.
  b.first_trade_id = BigInt(int(x, 'f', k, -1));
  b.last_trade_id = BigInt(int(x, 'L', k, -1));
  b.closed = bool(x, 'x', k);
  return b;
}

/** `<s>@ticker` (24hrTicker) -> Ticker. */
export function mapTicker(data: unknown): TickerEvent {
  const k = '24hrTicker';
  const o = record(data, k);
  eventType(o, k);
  const t = Ticker.empty();
  t.symbol = symbolOf(o, 's', k);
  t.exchange = EXCHANGE;
  t.data_time = msToNs(int(o, 'E', k));
  t.open_time = msToNs(int(o, 'O', k));
  t.close_time = msToNs(int(o, 'C', k));
  t.open_price = dec(o, 'o', k);
  t.high_price = dec(o, 'h', k);
  t.low_price = dec(o, 'l', k);
  t.last_price = dec(o, 'c', k);
  t.last_volume = dec(o, 'Q', k);
  t.volume = dec(o, 'v', k);
  t.quote_volume = dec(o, 'q', k);
  t.weighted_avg_price = dec(o, 'w', k);
  t.price_change = dec(o, 'p', k);
  t.price_change_percent = dec(o, 'P', k);
  t.bid_price = dec(o, 'b', k);
  t.bid_volume = dec(o, 'B', k);
  t.ask_price = dec(o, 'a', k);
  t.ask_volume = dec(o, 'A', k);
  t.first_trade_id = BigInt(int(o, 'F', k, -1));
  t.last_trade_id = BigInt(int(o, 'L', k, -1));
  t.trade_count = BigInt(int(o, 'n', k));
  return t;
}
