/**
 * The ticker endpoints (REST, and the WS API methods that share them), with every query variant
 * Binance takes: `symbol`, `symbols` (JSON array), all symbols, `type=FULL|MINI`, `symbolStatus`;
 * the 24-hour ticker, the rolling window (`windowSize` 1m..59m, 1h..23h, 1d..7d, open time on a
 * minute), the trading day (`timeZone`), the last price and the book ticker; and their weights.
 */
import { openTimeOf } from '../engine/klines.js';
import { ExchangeError } from '../engine/types.js';
import type { SimContext } from './context.js';
import { parseZone } from './market-json.js';
import { illegal, type Params } from './params.js';
import { perSelected, selectSymbols, symbolCount } from './symbols.js';
import { miniOf, ticker24hJson, windowTickerJson, type TickerType } from './ticker.js';
import { weightRule } from './weight.js';
import { amount } from './wire.js';

const MINUTE = 60_000;
const WINDOW_RANGE = '^([1-9]|[1-5][0-9])m$|^([1-9]|1[0-9]|2[0-3])h$|^[1-7]d$';
const WINDOW_RE = new RegExp(WINDOW_RANGE);
const UNIT_MS: Record<string, number> = { m: MINUTE, h: 60 * MINUTE, d: 1440 * MINUTE };
/** At most this many symbols in `symbols` for the rolling and trading-day tickers. */
const MAX_WINDOW_SYMBOLS = 100;

/** `type`: FULL (the default) or MINI; -1139 otherwise. */
function tickerType(p: Params): TickerType {
  const type = p.optional('type') ?? 'FULL';
  if (type !== 'FULL' && type !== 'MINI') throw new ExchangeError(-1139, 'Invalid ticker type.');
  return type;
}

/** `windowSize` in ms (default 1d). */
export function parseWindowSize(text: string | undefined): number {
  const w = text ?? '1d';
  if (!WINDOW_RE.test(w)) throw illegal('windowSize', WINDOW_RANGE);
  return Number(w.slice(0, -1)) * UNIT_MS[w.slice(-1)]!;
}

/** ticker/24hr: 2 for one symbol, 80 for all; by the size of `symbols`: 2 up to 20, 40 up to 100, 80 beyond. */
export const ticker24hWeight = weightRule('2 for a symbol, 80 for all; symbols: 2 (1-20), 40 (21-100), 80', (p) => {
  const n = symbolCount(p);
  if (n === undefined) return 80;
  return n <= 20 ? 2 : n <= 100 ? 40 : 80;
});

/** ticker/price and ticker/bookTicker: 2 for one symbol, 4 otherwise. */
export const priceTickerWeight = weightRule('2 for a symbol, 4 otherwise', (p) => (p.has('symbol') ? 2 : 4));

/** ticker and ticker/tradingDay: 4 a symbol, 200 once more than 50. */
export const windowTickerWeight = weightRule('4 a symbol, 200 past 50 symbols', (p) => {
  const n = symbolCount(p) ?? 1;
  return n > 50 ? 200 : 4 * n;
});

export function ticker24h(ctx: SimContext, p: Params): unknown {
  const type = tickerType(p);
  return perSelected(selectSymbols(ctx, p, { status: true }), (symbol) => {
    const full = ticker24hJson(ctx.tape, ctx.engine, symbol);
    return type === 'MINI' ? miniOf(full) : full;
  });
}

export function tickerRolling(ctx: SimContext, p: Params): unknown {
  const windowMs = parseWindowSize(p.optional('windowSize'));
  const type = tickerType(p);
  const sel = selectSymbols(ctx, p, { required: true, max: MAX_WINDOW_SYMBOLS, status: true });
  const openTime = openTimeOf('1m', ctx.now() - windowMs);
  return perSelected(sel, (symbol) => windowTickerJson(ctx.tape.rolling(symbol, openTime), type));
}

export function tickerTradingDay(ctx: SimContext, p: Params): unknown {
  const offset = parseZone(p.optional('timeZone'));
  const type = tickerType(p);
  const sel = selectSymbols(ctx, p, { required: true, max: MAX_WINDOW_SYMBOLS, status: true });
  return perSelected(sel, (symbol) => windowTickerJson(ctx.tape.tradingDay(symbol, offset), type));
}

export function tickerPrice(ctx: SimContext, p: Params): unknown {
  return perSelected(selectSymbols(ctx, p, { status: true }), (symbol) => ({ symbol, price: amount(ctx.tape.lastTrade(symbol)?.price ?? 0n) }));
}

export function bookTicker(ctx: SimContext, p: Params): unknown {
  return perSelected(selectSymbols(ctx, p, { status: true }), (symbol) => {
    const best = ctx.engine.best(symbol);
    return { symbol, bidPrice: amount(best.bid?.[0] ?? 0n), bidQty: amount(best.bid?.[1] ?? 0n), askPrice: amount(best.ask?.[0] ?? 0n), askQty: amount(best.ask?.[1] ?? 0n) };
  });
}
