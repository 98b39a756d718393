/**
 * Market data on the wire, REST and stream shapes side by side: trades, aggregate trades, klines,
 * and the `timeZone` Binance's klines take ("8", "-1:00", "05:45", within -12:00..+14:00).
 */
import { ExchangeError, type PublicTrade } from '../engine/types.js';
import { KLINE_INTERVALS, type Kline, type KlineInterval } from '../engine/klines.js';
import type { AggTrade } from '../engine/tape.js';
import { fillQuote } from '../engine/balances.js';
import { amount } from './wire.js';

export function tradeJson(t: PublicTrade): unknown {
  return { id: t.tradeId, price: amount(t.price), qty: amount(t.qty), quoteQty: amount(fillQuote(t.price, t.qty)), time: t.time, isBuyerMaker: t.buyerIsMaker, isBestMatch: true };
}

export function tradeEvent(t: PublicTrade, eventTime: number): unknown {
  return { e: 'trade', E: eventTime, s: t.symbol, t: t.tradeId, p: amount(t.price), q: amount(t.qty), T: t.time, m: t.buyerIsMaker, M: true };
}

/** GET aggTrades' row; the @aggTrade event adds e, E and s. */
export function aggTradeJson(a: AggTrade): Record<string, unknown> {
  return { a: a.aggId, p: amount(a.price), q: amount(a.qty), f: a.firstId, l: a.lastId, T: a.time, m: a.buyerIsMaker, M: true };
}

export function aggTradeEvent(a: AggTrade, eventTime: number): unknown {
  return { e: 'aggTrade', E: eventTime, s: a.symbol, ...aggTradeJson(a) };
}

/** GET klines' row. */
export function klineRow(k: Kline): unknown[] {
  return [k.openTime, amount(k.open), amount(k.high), amount(k.low), amount(k.close), amount(k.volume), k.closeTime, amount(k.quoteVolume), k.trades, amount(k.takerBuyBase), amount(k.takerBuyQuote), '0'];
}

export function klineEvent(symbol: string, interval: KlineInterval, k: Kline, closed: boolean, eventTime: number): unknown {
  return {
    e: 'kline',
    E: eventTime,
    s: symbol,
    k: { t: k.openTime, T: k.closeTime, s: symbol, i: interval, f: k.firstId, L: k.lastId, o: amount(k.open), c: amount(k.close), h: amount(k.high), l: amount(k.low), v: amount(k.volume), n: k.trades, x: closed, q: amount(k.quoteVolume), V: amount(k.takerBuyBase), Q: amount(k.takerBuyQuote), B: '0' },
  };
}

export function isKlineInterval(text: string): text is KlineInterval {
  return (KLINE_INTERVALS as readonly string[]).includes(text);
}

const ZONE_RE = /^([+-])?(\d{1,2})(?::(\d{2}))?$/;

/** A timeZone as ms east of UTC, or undefined when it is not one Binance accepts. */
export function zoneOffset(text: string): number | undefined {
  const m = ZONE_RE.exec(text);
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  if (Number(m[3] ?? 0) >= 60) return undefined;
  const signed = m[1] === '-' ? -minutes : minutes;
  return signed >= -12 * 60 && signed <= 14 * 60 ? signed * 60_000 : undefined;
}

export function parseInterval(text: string): KlineInterval {
  if (!isKlineInterval(text)) throw new ExchangeError(-1120, 'Invalid interval.');
  return text;
}

export function parseZone(text: string | undefined): number {
  if (text === undefined) return 0;
  const offset = zoneOffset(text);
  if (offset === undefined) throw new ExchangeError(-1130, "Data sent for parameter 'timeZone' is not valid.");
  return offset;
}
