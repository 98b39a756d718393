/**
 * The signed endpoints (REST, and the WS API methods that share them): new order and test order,
 * with Binance's parameter rules per order type; cancels (each with its own client order id);
 * order queries; the account and its trades.
 */
import { generateClientOrderId, CLIENT_ORDER_ID } from '../engine/client-ids.js';
import { ExchangeError, type NewOrderRequest, type SimOrderType } from '../engine/types.js';
import type { SimAccount } from './accounts.js';
import { symbolOf, type SimContext } from './context.js';
import type { Params } from './params.js';
import { amount, fillJson, orderJson, preventedMatchJson, resultFields } from './wire.js';

/** Everything POST /api/v3/order reads (order/test adds computeCommissionRates). */
export const ORDER_PARAMS = ['symbol', 'side', 'type', 'timeInForce', 'quantity', 'quoteOrderQty', 'price', 'newClientOrderId', 'newOrderRespType', 'selfTradePreventionMode'] as const;
export const ORDER_REF = ['symbol', 'orderId', 'origClientOrderId'] as const;
/** DECREMENT and TRANSFER are Binance modes the sim's symbols do not allow (-1013). */
const STP_WORDS = ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH', 'DECREMENT', 'TRANSFER'] as const;

type RespType = 'ACK' | 'RESULT' | 'FULL';

/** The order a request describes, with Binance's per-type rules (-1102 missing, -1106 not wanted). */
function orderRequest(ctx: SimContext, p: Params, account: SimAccount): { req: NewOrderRequest; respType: RespType } {
  const symbol = symbolOf(ctx, p);
  const side = p.oneOf('side', ['BUY', 'SELL'] as const);
  const type: SimOrderType = p.oneOf('type', ['LIMIT', 'MARKET', 'LIMIT_MAKER'] as const);
  const quantity = p.decimal('quantity');
  const quoteOrderQty = p.decimal('quoteOrderQty');
  const price = p.decimal('price');
  let timeInForce;
  if (type === 'LIMIT') timeInForce = p.oneOf('timeInForce', ['GTC', 'IOC', 'FOK'] as const);
  else p.notSent('timeInForce');
  if (type === 'MARKET') {
    p.notSent('price');
    if (quantity !== undefined) p.notSent('quoteOrderQty');
    else if (quoteOrderQty === undefined) throw new ExchangeError(-1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
  } else {
    if (quantity === undefined) p.required('quantity');
    if (price === undefined) p.required('price');
    p.notSent('quoteOrderQty');
  }
  const clientOrderId = p.matching('newClientOrderId', CLIENT_ORDER_ID) ?? generateClientOrderId();
  const respType = p.oneOf('newOrderRespType', ['ACK', 'RESULT', 'FULL'] as const, type === 'LIMIT_MAKER' ? 'ACK' : 'FULL');
  const stp = p.has('selfTradePreventionMode') ? p.oneOf('selfTradePreventionMode', STP_WORDS) : undefined;
  const req = {
    account: account.name,
    symbol,
    side,
    type,
    ...(timeInForce ? { timeInForce } : {}),
    ...(quantity !== undefined ? { quantity } : {}),
    ...(quoteOrderQty !== undefined ? { quoteOrderQty } : {}),
    ...(price !== undefined ? { price } : {}),
    clientOrderId,
    // The engine refuses modes it does not know with Binance's "not allowed" error.
    ...(stp ? { selfTradePreventionMode: stp as NewOrderRequest['selfTradePreventionMode'] } : {}),
  };
  return { req, respType };
}

export function newOrder(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const { req, respType } = orderRequest(ctx, p, account);
  const { order, fills, events, preventedMatches } = ctx.engine.placeOrder(req);
  ctx.publish(events);
  const ack = { symbol: order.symbol, orderId: order.orderId, orderListId: -1, clientOrderId: order.clientOrderId, transactTime: order.time };
  if (respType === 'ACK') return ack;
  const prevented = preventedMatches.length > 0 ? { preventedMatches: preventedMatches.map(preventedMatchJson) } : {};
  const result = { ...ack, ...resultFields(order), ...prevented };
  return respType === 'RESULT' ? result : { ...result, fills: fills.map(fillJson) };
}

/** order/test weighs 20 with computeCommissionRates, 1 without. */
export const testOrderWeight = (p: Params): number => (p.optional('computeCommissionRates') === 'true' ? 20 : 1);

/** POST /api/v3/order/test: the same checks as an order (parameters, filters), nothing placed. */
export function testOrder(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const compute = p.oneOf('computeCommissionRates', ['true', 'false'] as const, 'false') === 'true';
  ctx.engine.testOrder(orderRequest(ctx, p, account).req);
  if (!compute) return {};
  const rate = (bp: number) => amount(BigInt(bp) * 10_000n);
  return {
    standardCommissionForOrder: { maker: rate(account.makerCommission), taker: rate(account.takerCommission) },
    specialCommissionForOrder: { maker: amount(0n), taker: amount(0n) },
    taxCommissionForOrder: { maker: amount(0n), taker: amount(0n) },
    discount: { enabledForAccount: false, enabledForSymbol: false, discountAsset: 'BNB', discount: amount(0n) },
  };
}

function orderRef(p: Params): { orderId?: number; origClientOrderId?: string } {
  const orderId = p.integer('orderId', 0, Number.MAX_SAFE_INTEGER);
  const origClientOrderId = p.optional('origClientOrderId');
  if (orderId === undefined && origClientOrderId === undefined) {
    throw new ExchangeError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
  }
  return { ...(orderId !== undefined ? { orderId } : {}), ...(origClientOrderId !== undefined ? { origClientOrderId } : {}) };
}

export function orderStatus(ctx: SimContext, p: Params, account: SimAccount): unknown {
  return orderJson(ctx.engine.getOrder(account.name, symbolOf(ctx, p), orderRef(p)));
}

export const openOrdersWeight = (p: Params): number => (p.has('symbol') ? 6 : 80);

export function openOrders(ctx: SimContext, p: Params, account: SimAccount): unknown {
  return ctx.engine.openOrders(account.name, p.has('symbol') ? symbolOf(ctx, p) : undefined).map(orderJson);
}

/** DELETE /api/v3/order: `clientOrderId` answers the cancel's own id, `origClientOrderId` the order's. */
export function cancel(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const symbol = symbolOf(ctx, p);
  const ref = orderRef(p);
  const cancelId = p.matching('newClientOrderId', CLIENT_ORDER_ID);
  const { order, events, cancelClientOrderId } = ctx.engine.cancelOrder(account.name, symbol, ref, cancelId);
  ctx.publish(events);
  return cancelJson(order, cancelClientOrderId);
}

function cancelJson(order: Parameters<typeof resultFields>[0], cancelClientOrderId: string): unknown {
  return { symbol: order.symbol, origClientOrderId: order.clientOrderId, orderId: order.orderId, orderListId: -1, clientOrderId: cancelClientOrderId, transactTime: order.updateTime, ...resultFields(order) };
}

export function cancelAll(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const symbol = symbolOf(ctx, p);
  const open = ctx.engine.openOrders(account.name, symbol);
  if (open.length === 0) throw new ExchangeError(-2011, 'Unknown order sent.');
  return open.map((o) => {
    const { order, events, cancelClientOrderId } = ctx.engine.cancelOrder(account.name, symbol, { orderId: o.orderId });
    ctx.publish(events);
    return cancelJson(order, cancelClientOrderId);
  });
}

export function accountInfo(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const omitZero = p.oneOf('omitZeroBalances', ['true', 'false'] as const, 'false') === 'true';
  const balances = [...ctx.engine.balances(account.name)]
    .filter(([, b]) => !omitZero || b.free !== 0n || b.locked !== 0n)
    .map(([asset, b]) => ({ asset, free: amount(b.free), locked: amount(b.locked) }));
  const rate = (bp: number) => amount(BigInt(bp) * 10_000n);
  return {
    makerCommission: account.makerCommission,
    takerCommission: account.takerCommission,
    buyerCommission: 0,
    sellerCommission: 0,
    commissionRates: { maker: rate(account.makerCommission), taker: rate(account.takerCommission), buyer: amount(0n), seller: amount(0n) },
    canTrade: true,
    canWithdraw: true,
    canDeposit: true,
    brokered: false,
    requireSelfTradePrevention: false,
    preventSor: false,
    updateTime: ctx.now(),
    accountType: 'SPOT',
    balances,
    permissions: ['SPOT'],
    uid: 0,
  };
}

export const myTradesWeight = (p: Params): number => (p.has('orderId') ? 5 : 20);

export function myTrades(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const symbol = symbolOf(ctx, p);
  const orderId = p.integer('orderId', 0, Number.MAX_SAFE_INTEGER);
  const fromId = p.integer('fromId', 0, Number.MAX_SAFE_INTEGER);
  const startTime = p.integer('startTime', 0, Number.MAX_SAFE_INTEGER);
  const endTime = p.integer('endTime', 0, Number.MAX_SAFE_INTEGER);
  const limit = p.integer('limit', 1, 1000) ?? 500;
  const selected = ctx.engine
    .myTrades(account.name, symbol)
    .filter((t) => (orderId === undefined || t.orderId === orderId) && (fromId === undefined || t.id >= fromId) && (startTime === undefined || t.time >= startTime) && (endTime === undefined || t.time <= endTime));
  // Oldest first from fromId or startTime; otherwise the latest `limit`.
  const page = fromId !== undefined || startTime !== undefined ? selected.slice(0, limit) : selected.slice(Math.max(0, selected.length - limit));
  return page.map((t) => ({
    symbol,
    id: t.id,
    orderId: t.orderId,
    orderListId: -1,
    price: amount(t.price),
    qty: amount(t.qty),
    quoteQty: amount(t.quoteQty),
    commission: amount(t.commission),
    commissionAsset: t.commissionAsset,
    time: t.time,
    isBuyer: t.isBuyer,
    isMaker: t.isMaker,
    isBestMatch: true,
  }));
}
