/**
 * The public market data endpoints (REST, and the WS API methods that share them): exchange info,
 * depth, trades, aggregate trades, klines, average price, tickers.
 */
import type { Decimal } from '../../model/decimal.js';
import { perSymbol, symbolOf, type SimContext } from './context.js';
import { aggTradeJson, klineRow, parseInterval, parseZone, tradeJson } from './market-json.js';
import type { Params } from './params.js';
import { ticker24hJson } from './ticker.js';
import { amount, symbolJson } from './wire.js';

const TIME = [0, 8_640_000_000_000_000] as const;

export function exchangeInfo(ctx: SimContext, p: Params): unknown {
  let specs = ctx.engine.symbols;
  if (p.has('symbol')) specs = [ctx.engine.spec(symbolOf(ctx, p))];
  return { timezone: 'UTC', serverTime: ctx.now(), rateLimits: ctx.limits.describe(), exchangeFilters: [], symbols: specs.map(symbolJson) };
}

/** Binance's depth weight by limit. */
export const depthWeight = (p: Params): number => {
  const limit = Number(p.optional('limit') ?? 100);
  return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
};

export function depth(ctx: SimContext, p: Params): unknown {
  const symbol = symbolOf(ctx, p);
  const d = ctx.engine.depth(symbol, p.integer('limit', 1, 5000) ?? 100);
  const levels = (side: [Decimal, Decimal][]) => side.map(([price, qty]) => [amount(price), amount(qty)]);
  return { lastUpdateId: d.lastUpdateId, bids: levels(d.bids), asks: levels(d.asks) };
}

export function trades(ctx: SimContext, p: Params): unknown {
  const symbol = symbolOf(ctx, p);
  return ctx.tape.recent(symbol, p.integer('limit', 1, 1000) ?? 500).map(tradeJson);
}

export function aggTrades(ctx: SimContext, p: Params): unknown {
  const symbol = symbolOf(ctx, p);
  const fromId = p.integer('fromId', 0, Number.MAX_SAFE_INTEGER);
  const startTime = p.integer('startTime', ...TIME);
  const endTime = p.integer('endTime', ...TIME);
  const limit = p.integer('limit', 1, 1000) ?? 500;
  return ctx.tape.aggTrades(symbol, { ...(fromId !== undefined ? { fromId } : {}), ...(startTime !== undefined ? { startTime } : {}), ...(endTime !== undefined ? { endTime } : {}), limit }).map(aggTradeJson);
}

export function klines(ctx: SimContext, p: Params): unknown {
  const symbol = symbolOf(ctx, p);
  const interval = parseInterval(p.required('interval'));
  const startTime = p.integer('startTime', ...TIME);
  const endTime = p.integer('endTime', ...TIME);
  const offset = parseZone(p.optional('timeZone'));
  const limit = p.integer('limit', 1, 1000) ?? 500;
  const query = { limit, offset, ...(startTime !== undefined ? { startTime } : {}), ...(endTime !== undefined ? { endTime } : {}) };
  return ctx.tape.klines(symbol).query(interval, ctx.now(), query).map(klineRow);
}

export function avgPrice(ctx: SimContext, p: Params): unknown {
  const a = ctx.engine.avgPrice(symbolOf(ctx, p));
  return { mins: a.mins, price: amount(a.price), closeTime: a.closeTime };
}

export function bookTicker(ctx: SimContext, p: Params): unknown {
  return perSymbol(ctx, p, (symbol) => {
    const best = ctx.engine.best(symbol);
    return { symbol, bidPrice: amount(best.bid?.[0] ?? 0n), bidQty: amount(best.bid?.[1] ?? 0n), askPrice: amount(best.ask?.[0] ?? 0n), askQty: amount(best.ask?.[1] ?? 0n) };
  });
}

export function ticker24h(ctx: SimContext, p: Params): unknown {
  p.oneOf('type', ['FULL', 'MINI'] as const, 'FULL');
  return perSymbol(ctx, p, (symbol) => ticker24hJson(ctx.tape, ctx.engine, symbol));
}
