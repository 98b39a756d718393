/**
 * The public market data endpoints (REST, and the WS API methods that share them): exchange info,
 * depth, trades (recent and historical), aggregate trades, klines (and uiKlines, the same here),
 * average price. The tickers are in tickers.ts.
 */
import type { Decimal } from '../../model/decimal.js';
import { ExchangeError } from '../engine/types.js';
import { symbolOf, type SimContext } from './context.js';
import { aggTradeJson, klineRow, parseInterval, parseZone, tradeJson } from './market-json.js';
import { illegal, type Params } from './params.js';
import { selectSymbols } from './symbols.js';
import { weightRule } from './weight.js';
import { amount, symbolJson } from './wire.js';

const TIME = [0, 8_640_000_000_000_000] as const;

const PERMISSION = '[A-Z0-9_]{1,30}';
const PERMISSIONS_RANGE = `^${PERMISSION}$|^\\[("${PERMISSION}"(,"${PERMISSION}"){0,}){0,1}\\]$`;
const PERMISSIONS_RE = new RegExp(PERMISSIONS_RANGE);
/** Without `permissions`, Binance lists the symbols with any of these. */
const DEFAULT_PERMISSIONS = ['SPOT', 'MARGIN', 'LEVERAGED'];

/** `permissions`: one word (SPOT) or a JSON array (["MARGIN","LEVERAGED"]). */
function parsePermissions(text: string | undefined): string[] {
  if (text === undefined) return DEFAULT_PERMISSIONS;
  if (!PERMISSIONS_RE.test(text)) throw illegal('permissions', PERMISSIONS_RANGE);
  return text.startsWith('[') ? (JSON.parse(text) as string[]) : [text];
}

export function exchangeInfo(ctx: SimContext, p: Params): unknown {
  const bySymbol = p.has('symbol') || p.has('symbols');
  if (bySymbol && (p.has('permissions') || p.has('symbolStatus'))) throw new ExchangeError(-1128, 'Combination of optional parameters invalid.');
  const showSets = p.oneOf('showPermissionSets', ['true', 'false'] as const, 'true') === 'true';
  const permissions = parsePermissions(p.optional('permissions'));
  const names = selectSymbols(ctx, p, { status: true }).symbols;
  const specs = names.map((s) => ctx.engine.spec(s));
  const symbols = specs
    .map((s) => symbolJson(s) as { permissionSets: string[][] })
    .filter((j) => bySymbol || j.permissionSets.some((set) => set.some((x) => permissions.includes(x))))
    .map((j) => (showSets ? j : { ...j, permissionSets: [] }));
  return { timezone: 'UTC', serverTime: ctx.now(), rateLimits: ctx.limits.describe(), exchangeFilters: [], symbols };
}

/** Binance's depth weight by limit. */
export const depthWeight = weightRule('5, 25, 50, 250 by limit (100, 500, 1000, 5000)', (p) => {
  const limit = Number(p.optional('limit') ?? 100);
  return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
});

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

/** GET historicalTrades (security NONE since 2023-12: the X-MBX-APIKEY header is not needed, and ignored). */
export function historicalTrades(ctx: SimContext, p: Params): unknown {
  const symbol = symbolOf(ctx, p);
  const limit = p.integer('limit', 1, 1000) ?? 500;
  const fromId = p.integer('fromId', 0, Number.MAX_SAFE_INTEGER);
  return ctx.tape.historical(symbol, { limit, ...(fromId !== undefined ? { fromId } : {}) }).map(tradeJson);
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

