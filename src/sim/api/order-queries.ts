/**
 * The account's order history and limits (REST and WS API alike): allOrders, the unfilled order
 * count (rateLimit/order), commission rates (account/commission) and the matches self-trade
 * prevention stopped (myPreventedMatches), with Binance's parameters and answer shapes.
 */
import { ExchangeError } from '../engine/types.js';
import type { SimAccount } from './accounts.js';
import { symbolOf, type SimContext } from './context.js';
import type { Params } from './params.js';
import { weightRule } from './weight.js';
import { amount, commissionRate, orderJson, preventedQuantitiesJson } from './wire.js';

const DAY_MS = 86_400_000;
const ID_MAX = Number.MAX_SAFE_INTEGER;

export const ALL_ORDERS_PARAMS = ['symbol', 'orderId', 'startTime', 'endTime', 'limit'] as const;

/** startTime/endTime no more than 24 hours apart (Binance's -1127). */
export function timeRange(p: Params): { startTime: number | undefined; endTime: number | undefined } {
  const startTime = p.integer('startTime', 0, ID_MAX);
  const endTime = p.integer('endTime', 0, ID_MAX);
  if (startTime !== undefined && endTime !== undefined && endTime - startTime > DAY_MS) throw new ExchangeError(-1127, 'More than 24 hours between startTime and endTime.');
  return { startTime, endTime };
}

/** A history's page (allOrders, myTrades, allOrderList): from the starting point on, else the latest `limit`; oldest first. */
export function historyPage<T>(selected: T[], fromStart: boolean, limit: number): T[] {
  return fromStart ? selected.slice(0, limit) : selected.slice(Math.max(0, selected.length - limit));
}

/** GET allOrders: orders from `orderId` on, else within the time range, else the latest `limit`, oldest first. */
export function allOrders(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const symbol = symbolOf(ctx, p);
  const orderId = p.integer('orderId', 0, ID_MAX);
  const { startTime, endTime } = timeRange(p);
  const limit = p.integer('limit', 1, 1000) ?? 500;
  const selected = ctx.engine
    .allOrders(account.name, symbol)
    .filter((o) => (orderId === undefined || o.orderId >= orderId) && (startTime === undefined || o.time >= startTime) && (endTime === undefined || o.time <= endTime));
  return historyPage(selected, orderId !== undefined || startTime !== undefined, limit).map(orderJson);
}

/** GET rateLimit/order (WS account.rateLimits.orders): the account's unfilled order counts. */
export function orderCount(ctx: SimContext, _p: Params, account: SimAccount): unknown {
  return ctx.limits.orderCounts(account.name);
}

/** GET account/commission: the account's rates on `symbol` (no special, tax or BNB discount in the sim). */
export function commission(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const symbol = symbolOf(ctx, p);
  const zero = amount(0n);
  return {
    symbol,
    standardCommission: { maker: commissionRate(account.makerCommission), taker: commissionRate(account.takerCommission), buyer: zero, seller: zero },
    specialCommission: { maker: zero, taker: zero, buyer: zero, seller: zero },
    taxCommission: { maker: zero, taker: zero, buyer: zero, seller: zero },
    discount: { enabledForAccount: false, enabledForSymbol: false, discountAsset: 'BNB', discount: zero },
  };
}

export const PREVENTED_PARAMS = ['symbol', 'preventedMatchId', 'orderId', 'fromPreventedMatchId', 'limit'] as const;

/** Weight 2 by preventedMatchId, 20 by orderId (Binance). */
export const preventedMatchesWeight = weightRule('2 by preventedMatchId, 20 by orderId', (p) => (p.has('orderId') ? 20 : 2));

/**
 * GET myPreventedMatches, by Binance's combinations: symbol + preventedMatchId, or symbol + orderId
 * (+ fromPreventedMatchId, + limit); anything else is -1128.
 */
export function preventedMatches(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const symbol = symbolOf(ctx, p);
  const preventedMatchId = p.integer('preventedMatchId', 0, ID_MAX);
  const orderId = p.integer('orderId', 0, ID_MAX);
  const from = p.integer('fromPreventedMatchId', 0, ID_MAX);
  const limit = p.integer('limit', 1, 1000);
  const byId = preventedMatchId !== undefined && orderId === undefined && from === undefined && limit === undefined;
  const byOrder = orderId !== undefined && preventedMatchId === undefined;
  if (!byId && !byOrder) throw new ExchangeError(-1128, 'Combination of optional parameters invalid.');
  const selected = ctx.engine
    .preventedMatches(account.name, symbol)
    .filter((m) => (byId ? m.preventedMatchId === preventedMatchId : (m.takerOrderId === orderId || m.makerOrderId === orderId) && (from === undefined || m.preventedMatchId >= from)))
    .slice(0, limit ?? 500);
  return selected.map((m) => ({
    symbol: m.symbol,
    preventedMatchId: m.preventedMatchId,
    takerOrderId: m.takerOrderId,
    makerSymbol: m.symbol,
    makerOrderId: m.makerOrderId,
    tradeGroupId: -1,
    selfTradePreventionMode: m.selfTradePreventionMode,
    price: amount(m.price),
    ...preventedQuantitiesJson(m),
    transactTime: m.transactTime,
  }));
}
