/**
 * The 24-hour ticker on the wire, in one place: REST's long names (GET /api/v3/ticker/24hr), and
 * the @ticker stream's one-letter names mapped from them.
 */
import { formatFixed } from '../../model/decimal.js';
import { amount } from './wire.js';
import type { MatchingEngine } from '../engine/engine.js';
import type { Tape } from '../engine/tape.js';


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
