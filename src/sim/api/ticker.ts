/**
 * Tickers on the wire, in one place: the 24-hour ticker's REST long names (GET /api/v3/ticker/24hr)
 * and the @ticker stream's one-letter names mapped from them; the rolling-window and trading-day
 * tickers (FULL and MINI); the @miniTicker and @ticker_<window> stream events.
 */
import { formatFixed } from '../../model/decimal.js';
import { amount } from './wire.js';
import type { MatchingEngine } from '../engine/engine.js';
import type { Tape, Ticker24h } from '../engine/tape.js';

/** The fields of a MINI ticker (every ticker endpoint's `type=MINI`), in Binance's order. */
const MINI_KEYS = ['symbol', 'openPrice', 'highPrice', 'lowPrice', 'lastPrice', 'volume', 'quoteVolume', 'openTime', 'closeTime', 'firstId', 'lastId', 'count'] as const;

export type TickerType = 'FULL' | 'MINI';

/** A ticker reduced to the MINI fields. */
export function miniOf(full: Record<string, string | number>): Record<string, string | number> {
  const mini: Record<string, string | number> = {};
  for (const k of MINI_KEYS) mini[k] = full[k]!;
  return mini;
}

/** GET /api/v3/ticker and ticker/tradingDay: a window's statistics, FULL or MINI. */
export function windowTickerJson(t: Ticker24h, type: TickerType): Record<string, string | number> {
  const full = {
    symbol: t.symbol,
    priceChange: amount(t.priceChange),
    priceChangePercent: formatFixed(t.priceChangePercent, 3),
    weightedAvgPrice: amount(t.weightedAvgPrice),
    openPrice: amount(t.openPrice),
    highPrice: amount(t.highPrice),
    lowPrice: amount(t.lowPrice),
    lastPrice: amount(t.lastPrice),
    volume: amount(t.volume),
    quoteVolume: amount(t.quoteVolume),
    openTime: t.openTime,
    closeTime: t.closeTime,
    firstId: t.firstId,
    lastId: t.lastId,
    count: t.count,
  };
  return type === 'MINI' ? miniOf(full) : full;
}

/** `<s>@miniTicker` (and each entry of `!miniTicker@arr`): the 24-hour ticker's close, open, high, low and volumes. */
export function miniTickerEvent(tape: Tape, symbol: string, eventTime: number): Record<string, string | number> {
  const t = tape.ticker(symbol);
  return { e: '24hrMiniTicker', E: eventTime, s: symbol, c: amount(t.lastPrice), o: amount(t.openPrice), h: amount(t.highPrice), l: amount(t.lowPrice), v: amount(t.volume), q: amount(t.quoteVolume) };
}

/** `<s>@ticker_<window>` (1h, 4h, 1d): the rolling window's statistics, open time on a minute. */
export function windowTickerEvent(t: Ticker24h, window: string, eventTime: number): Record<string, string | number> {
  const j = windowTickerJson(t, 'FULL');
  return { e: `${window}Ticker`, E: eventTime, s: t.symbol, p: j.priceChange!, P: j.priceChangePercent!, o: j.openPrice!, h: j.highPrice!, l: j.lowPrice!, c: j.lastPrice!, w: j.weightedAvgPrice!, v: j.volume!, q: j.quoteVolume!, O: t.openTime, C: t.closeTime, F: t.firstId, L: t.lastId, n: t.count };
}

export function ticker24hJson(tape: Tape, engine: MatchingEngine, symbol: string): Record<string, string | number> {
  const t = tape.ticker(symbol);
  const best = engine.best(symbol);
  return {
    symbol,
    priceChange: amount(t.priceChange),
    priceChangePercent: formatFixed(t.priceChangePercent, 3),
    weightedAvgPrice: amount(t.weightedAvgPrice),
    prevClosePrice: amount(t.openPrice),
    lastPrice: amount(t.lastPrice),
    lastQty: amount(t.lastQty),
    bidPrice: amount(best.bid?.[0] ?? 0n),
    bidQty: amount(best.bid?.[1] ?? 0n),
    askPrice: amount(best.ask?.[0] ?? 0n),
    askQty: amount(best.ask?.[1] ?? 0n),
    openPrice: amount(t.openPrice),
    highPrice: amount(t.highPrice),
    lowPrice: amount(t.lowPrice),
    volume: amount(t.volume),
    quoteVolume: amount(t.quoteVolume),
    openTime: t.openTime,
    closeTime: t.closeTime,
    firstId: t.firstId,
    lastId: t.lastId,
    count: t.count,
  };
}

/** @ticker field -> REST field. */
const STREAM_KEYS = {
  s: 'symbol',
  p: 'priceChange',
  P: 'priceChangePercent',
  w: 'weightedAvgPrice',
  x: 'prevClosePrice',
  c: 'lastPrice',
  Q: 'lastQty',
  b: 'bidPrice',
  B: 'bidQty',
  a: 'askPrice',
  A: 'askQty',
  o: 'openPrice',
  h: 'highPrice',
  l: 'lowPrice',
  v: 'volume',
  q: 'quoteVolume',
  O: 'openTime',
  C: 'closeTime',
  F: 'firstId',
  L: 'lastId',
  n: 'count',
} as const;

export function tickerStreamEvent(tape: Tape, engine: MatchingEngine, symbol: string, eventTime: number): Record<string, string | number> {
  const rest = ticker24hJson(tape, engine, symbol);
  const event: Record<string, string | number> = { e: '24hrTicker', E: eventTime };
  for (const [short, long] of Object.entries(STREAM_KEYS)) event[short] = rest[long]!;
  return event;
}
