/**
 * The signed endpoints (REST, and the WS API methods that share them): new order and test order,
 * with Binance's parameter rules per order type; cancels (each with its own client order id);
 * order queries; the account and its trades.
 */
import { generateClientOrderId, CLIENT_ORDER_ID } from '../engine/client-ids.js';
import type { CancelRestriction } from '../engine/engine.js';
import { ExchangeError, ORDER_TYPES, isTrigger, type NewOrderRequest, type PreventedMatch, type SimFill, type SimOrder, type SimOrderType } from '../engine/types.js';
import type { SimAccount } from './accounts.js';
import { symbolOf, type SimContext } from './context.js';
import { historyPage } from './order-queries.js';
import type { Params } from './params.js';
import { weightRule } from './weight.js';
import { amount, commissionRate, fillJson, listJson, orderJson, preventedMatchJson, resultFields } from './wire.js';

/** Everything POST /api/v3/order reads (order/test adds computeCommissionRates). */
export const ORDER_PARAMS = ['symbol', 'side', 'type', 'timeInForce', 'quantity', 'quoteOrderQty', 'price', 'stopPrice', 'newClientOrderId', 'newOrderRespType', 'selfTradePreventionMode'] as const;
export const ORDER_REF = ['symbol', 'orderId', 'origClientOrderId'] as const;
/** DECREMENT and TRANSFER are Binance modes the sim's symbols do not allow (-1013). */
const STP_WORDS = ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH', 'DECREMENT', 'TRANSFER'] as const;

export type RespType = 'ACK' | 'RESULT' | 'FULL';

/** The parameter names one order of a request is read from (an order list names each order's own). */
export interface LegNames {
  side: string;
  type: string;
  quantity: string;
  price: string;
  stopPrice: string;
  timeInForce: string;
  clientOrderId: string;
  /** Only POST order's MARKET orders take quoteOrderQty. */
  quoteOrderQty?: string;
}

const PLAIN: LegNames = { side: 'side', type: 'type', quantity: 'quantity', price: 'price', stopPrice: 'stopPrice', timeInForce: 'timeInForce', clientOrderId: 'newClientOrderId', quoteOrderQty: 'quoteOrderQty' };

/** The request's selfTradePreventionMode, if sent (the engine refuses modes it does not allow with Binance's -1013). */
export function stpOf(p: Params): { selfTradePreventionMode?: NewOrderRequest['selfTradePreventionMode'] } {
  return p.has('selfTradePreventionMode') ? { selfTradePreventionMode: p.oneOf('selfTradePreventionMode', STP_WORDS) as NewOrderRequest['selfTradePreventionMode'] } : {};
}

/**
 * One order of a request with Binance's per-type rules (-1102 missing, -1106 not wanted): LIMIT
 * needs timeInForce, quantity and price; MARKET quantity or quoteOrderQty; STOP_LOSS and
 * TAKE_PROFIT quantity and stopPrice; their LIMIT forms all four; LIMIT_MAKER quantity and price.
 * `allowed` narrows the types (an order list's legs): another known type is `notAllowed`'s error.
 */
export function legRequest(p: Params, account: SimAccount, symbol: string, names: LegNames, allowed: readonly SimOrderType[] = ORDER_TYPES, notAllowed?: ExchangeError): NewOrderRequest {
  const side = p.oneOf(names.side, ['BUY', 'SELL'] as const);
  const word = p.required(names.type);
  if (notAllowed && ORDER_TYPES.includes(word as SimOrderType) && !allowed.includes(word as SimOrderType)) throw notAllowed;
  const type = p.oneOf(names.type, allowed);
  const quantity = p.decimal(names.quantity);
  const quoteOrderQty = names.quoteOrderQty !== undefined ? p.decimal(names.quoteOrderQty) : undefined;
  const price = p.decimal(names.price);
  const stopPrice = p.decimal(names.stopPrice);
  const limit = type === 'LIMIT' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT';
  const timeInForce = limit ? p.oneOf(names.timeInForce, ['GTC', 'IOC', 'FOK'] as const) : undefined;
  if (!limit) p.notSent(names.timeInForce);
  if (isTrigger(type)) {
    if (stopPrice === undefined) throw new ExchangeError(-1102, `Param '${names.stopPrice}' or '${names.stopPrice.replace('stopPrice', 'trailingDelta').replace('StopPrice', 'TrailingDelta')}' must be sent, but both were empty/null!`);
  } else p.notSent(names.stopPrice);
  if (type === 'MARKET') {
    p.notSent(names.price);
    if (quantity !== undefined && names.quoteOrderQty) p.notSent(names.quoteOrderQty);
    else if (quantity === undefined && quoteOrderQty === undefined) {
      if (!names.quoteOrderQty) p.required(names.quantity);
      throw new ExchangeError(-1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
    }
  } else {
    if (quantity === undefined) p.required(names.quantity);
    if (type === 'STOP_LOSS' || type === 'TAKE_PROFIT') p.notSent(names.price);
    else if (price === undefined) p.required(names.price);
    if (names.quoteOrderQty) p.notSent(names.quoteOrderQty);
  }
  const clientOrderId = p.matching(names.clientOrderId, CLIENT_ORDER_ID) ?? generateClientOrderId();
  return {
    account: account.name,
    symbol,
    side,
    type,
    ...(timeInForce ? { timeInForce } : {}),
    ...(quantity !== undefined ? { quantity } : {}),
    ...(quoteOrderQty !== undefined ? { quoteOrderQty } : {}),
    ...(price !== undefined ? { price } : {}),
    ...(stopPrice !== undefined ? { stopPrice } : {}),
    clientOrderId,
    ...stpOf(p),
  };
}

/** The order a POST order request describes, and the answer it wants (MARKET and LIMIT default to FULL, the others to ACK). */
export function orderRequest(ctx: SimContext, p: Params, account: SimAccount): { req: NewOrderRequest; respType: RespType } {
  const symbol = symbolOf(ctx, p);
  const req = legRequest(p, account, symbol, PLAIN);
  const respType = p.oneOf('newOrderRespType', ['ACK', 'RESULT', 'FULL'] as const, req.type === 'LIMIT' || req.type === 'MARKET' ? 'FULL' : 'ACK');
  return { req, respType };
}

/** The answer to a placed order, as newOrderRespType asks. */
export function placedJson(order: SimOrder, fills: SimFill[], preventedMatches: PreventedMatch[], respType: RespType): unknown {
  const ack = { symbol: order.symbol, orderId: order.orderId, orderListId: order.orderListId, clientOrderId: order.clientOrderId, transactTime: order.time };
  if (respType === 'ACK') return ack;
  const prevented = preventedMatches.length > 0 ? { preventedMatches: preventedMatches.map(preventedMatchJson) } : {};
  const result = { ...ack, ...resultFields(order), ...prevented };
  return respType === 'RESULT' ? result : { ...result, fills: fills.map(fillJson) };
}

export function newOrder(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const { req, respType } = orderRequest(ctx, p, account);
  return placeOrder(ctx, req, respType);
}

/** Places an order, publishes what it did, and answers it (POST order, cancelReplace's new order). */
export function placeOrder(ctx: SimContext, req: NewOrderRequest, respType: RespType): unknown {
  const { order, fills, events, preventedMatches } = ctx.engine.placeOrder(req);
  ctx.publish(events);
  return placedJson(order, fills, preventedMatches, respType);
}

/** order/test weighs 20 with computeCommissionRates, 1 without. */
export const testOrderWeight = weightRule('1, 20 with computeCommissionRates', (p) => (p.optional('computeCommissionRates') === 'true' ? 20 : 1));

/** POST /api/v3/order/test: the same checks as an order (parameters, filters), nothing placed. */
export function testOrder(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const compute = p.oneOf('computeCommissionRates', ['true', 'false'] as const, 'false') === 'true';
  ctx.engine.testOrder(orderRequest(ctx, p, account).req);
  if (!compute) return {};
  return {
    standardCommissionForOrder: { maker: commissionRate(account.makerCommission), taker: commissionRate(account.takerCommission) },
    specialCommissionForOrder: { maker: amount(0n), taker: amount(0n) },
    taxCommissionForOrder: { maker: amount(0n), taker: amount(0n) },
    discount: { enabledForAccount: false, enabledForSymbol: false, discountAsset: 'BNB', discount: amount(0n) },
  };
}

/** The order a request names, by `orderId` or `origClientOrderId` (cancelReplace: their cancel* forms). */
export function orderRef(p: Params, idName = 'orderId', clientIdName = 'origClientOrderId'): { orderId?: number; origClientOrderId?: string } {
  const { id, clientId } = p.idOrClientId(idName, clientIdName);
  return { ...(id !== undefined ? { orderId: id } : {}), ...(clientId !== undefined ? { origClientOrderId: clientId } : {}) };
}

export function orderStatus(ctx: SimContext, p: Params, account: SimAccount): unknown {
  return orderJson(ctx.engine.getOrder(account.name, symbolOf(ctx, p), orderRef(p)));
}

export const openOrdersWeight = weightRule('6 a symbol, 80 for all', (p) => (p.has('symbol') ? 6 : 80));

export function openOrders(ctx: SimContext, p: Params, account: SimAccount): unknown {
  return ctx.engine.openOrders(account.name, p.has('symbol') ? symbolOf(ctx, p) : undefined).map(orderJson);
}

export const CANCEL_PARAMS = [...ORDER_REF, 'newClientOrderId', 'cancelRestrictions'] as const;

/** `cancelRestrictions`, if sent: Binance's -1145 for a word it does not know. */
export function restrictionOf(p: Params, name: string): CancelRestriction | undefined {
  const v = p.optional(name);
  if (v !== undefined && v !== 'ONLY_NEW' && v !== 'ONLY_PARTIALLY_FILLED') throw new ExchangeError(-1145, 'Invalid cancelRestrictions');
  return v;
}

/** DELETE /api/v3/order: `clientOrderId` answers the cancel's own id, `origClientOrderId` the order's. */
export function cancel(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const symbol = symbolOf(ctx, p);
  const ref = orderRef(p);
  const cancelId = p.matching('newClientOrderId', CLIENT_ORDER_ID);
  return cancelOrder(ctx, account, symbol, ref, cancelId, restrictionOf(p, 'cancelRestrictions'));
}

/** Cancels an order, publishes what it did, and answers it (DELETE order, cancelReplace's cancel). */
export function cancelOrder(ctx: SimContext, account: SimAccount, symbol: string, ref: ReturnType<typeof orderRef>, cancelId: string | undefined, restriction: CancelRestriction | undefined): unknown {
  const { order, events, cancelClientOrderId } = ctx.engine.cancelOrder(account.name, symbol, ref, cancelId, restriction);
  ctx.publish(events);
  return cancelJson(order, cancelClientOrderId);
}

/** A cancel's answer: Binance's shows no workingTime. */
export function cancelJson(order: SimOrder, cancelClientOrderId: string): unknown {
  const { workingTime: _notInCancels, ...fields } = resultFields(order);
  return { symbol: order.symbol, origClientOrderId: order.clientOrderId, orderId: order.orderId, orderListId: order.orderListId, clientOrderId: cancelClientOrderId, transactTime: order.updateTime, ...fields };
}

export function cancelAll(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const symbol = symbolOf(ctx, p);
  const open = ctx.engine.openOrders(account.name, symbol);
  if (open.length === 0) throw new ExchangeError(-2011, 'Unknown order sent.');
  const answers: unknown[] = [];
  const lists = new Set<number>();
  for (const o of open) {
    // An order list's orders are canceled with their list, and answered as the list (as Binance does).
    if (lists.has(o.orderListId)) continue;
    if (o.orderListId >= 0 && ctx.engine.listExecuting(o.orderListId)) {
      lists.add(o.orderListId);
      const { list, events, cancelClientOrderId } = ctx.engine.cancelOrderList(account.name, symbol, { orderListId: o.orderListId });
      ctx.publish(events);
      answers.push(listJson(list, list.orders.map((leg) => cancelJson(leg, cancelClientOrderId))));
      continue;
    }
    const { order, events, cancelClientOrderId } = ctx.engine.cancelOrder(account.name, symbol, { orderId: o.orderId });
    ctx.publish(events);
    answers.push(cancelJson(order, cancelClientOrderId));
  }
  return answers;
}

export function accountInfo(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const omitZero = p.oneOf('omitZeroBalances', ['true', 'false'] as const, 'false') === 'true';
  const balances = [...ctx.engine.balances(account.name)]
    .filter(([, b]) => !omitZero || b.free !== 0n || b.locked !== 0n)
    .map(([asset, b]) => ({ asset, free: amount(b.free), locked: amount(b.locked) }));
  return {
    makerCommission: account.makerCommission,
    takerCommission: account.takerCommission,
    buyerCommission: 0,
    sellerCommission: 0,
    commissionRates: { maker: commissionRate(account.makerCommission), taker: commissionRate(account.takerCommission), buyer: amount(0n), seller: amount(0n) },
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

export const myTradesWeight = weightRule('20, 5 with orderId', (p) => (p.has('orderId') ? 5 : 20));

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
  const page = historyPage(selected, fromId !== undefined || startTime !== undefined, limit);
  return page.map((t) => ({
    symbol,
    id: t.id,
    orderId: t.orderId,
    orderListId: t.orderListId,
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
