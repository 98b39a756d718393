/**
 * Order lists over REST and the WS API (rest-api.md "Order lists"): OCO, OTO and OTOCO placement
 * with each order's parameters under its own prefix, cancel, and the queries (GET orderList,
 * allOrderList, openOrderList). Answers are the list with `orders` and, for placement and cancel,
 * `orderReports` in the newOrderRespType asked (RESULT by default).
 */
import { CLIENT_ORDER_ID, generateClientOrderId } from '../engine/client-ids.js';
import type { ListRef } from '../engine/order-lists.js';
import { ExchangeError, TRIGGER_TYPES, type OrderListView, type SimOrder, type SimOrderType } from '../engine/types.js';
import type { SimAccount } from './accounts.js';
import { symbolOf, type SimContext } from './context.js';
import type { Params } from './params.js';
import { historyPage, timeRange } from './order-queries.js';
import { cancelJson, legRequest, placedJson, type LegNames, type RespType } from './trading.js';
import { listJson } from './wire.js';

const OCO_TYPES: readonly SimOrderType[] = ['LIMIT_MAKER', ...TRIGGER_TYPES];
const NOT_IN_OCO = new ExchangeError(-1158, 'Order type not supported in OCO.');
const COMMON = ['symbol', 'listClientOrderId', 'newOrderRespType', 'selfTradePreventionMode'];

/** The names of an order's parameters under `prefix` (aboveType, workingPrice, pendingAboveStopPrice...). */
function legNames(prefix: string, shared?: { side: string; quantity: string }): LegNames {
  const name = (n: string) => prefix + n[0]!.toUpperCase() + n.slice(1);
  return { side: shared?.side ?? name('side'), type: name('type'), quantity: shared?.quantity ?? name('quantity'), price: name('price'), stopPrice: name('stopPrice'), timeInForce: name('timeInForce'), clientOrderId: name('clientOrderId') };
}
const paramsOf = (n: LegNames) => [n.side, n.type, n.quantity, n.price, n.stopPrice, n.timeInForce, n.clientOrderId];

const ABOVE = legNames('above', { side: 'side', quantity: 'quantity' });
const BELOW = legNames('below', { side: 'side', quantity: 'quantity' });
const WORKING = legNames('working');
const PENDING = legNames('pending');
const PENDING_ABOVE = legNames('pendingAbove', { side: 'pendingSide', quantity: 'pendingQuantity' });
const PENDING_BELOW = legNames('pendingBelow', { side: 'pendingSide', quantity: 'pendingQuantity' });

export const OCO_PARAMS = [...new Set([...COMMON, ...paramsOf(ABOVE), ...paramsOf(BELOW)])];
/** The working order is LIMIT or LIMIT_MAKER: Binance lists no workingStopPrice. */
const WORKING_PARAMS = paramsOf(WORKING).filter((n) => n !== WORKING.stopPrice);
export const OTO_PARAMS = [...new Set([...COMMON, ...WORKING_PARAMS, ...paramsOf(PENDING)])];
export const OTOCO_PARAMS = [...new Set([...COMMON, ...WORKING_PARAMS, ...paramsOf(PENDING_ABOVE), ...paramsOf(PENDING_BELOW)])];

function listClientOrderId(p: Params): string {
  return p.matching('listClientOrderId', CLIENT_ORDER_ID) ?? generateClientOrderId();
}

const respTypeOf = (p: Params): RespType => p.oneOf('newOrderRespType', ['ACK', 'RESULT', 'FULL'] as const, 'RESULT');

/** The placement answer: the list and each order's report as newOrderRespType asks. */
function placedListJson(ctx: SimContext, list: OrderListView, respType: RespType): unknown {
  const fillsOf = (o: SimOrder) =>
    ctx.engine
      .myTrades(o.account, o.symbol)
      .filter((t) => t.orderId === o.orderId)
      .map((t) => ({ price: t.price, qty: t.qty, quoteQty: t.quoteQty, commission: t.commission, commissionAsset: t.commissionAsset, tradeId: t.id, isMaker: t.isMaker }));
  return listJson(list, list.orders.map((o) => placedJson({ ...o, time: list.transactionTime }, respType === 'FULL' ? fillsOf(o) : [], [], respType)));
}

export function placeOco(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const symbol = symbolOf(ctx, p);
  const above = legRequest(p, account, symbol, ABOVE, OCO_TYPES, NOT_IN_OCO);
  const below = legRequest(p, account, symbol, BELOW, OCO_TYPES, NOT_IN_OCO);
  const respType = respTypeOf(p);
  const { list, events } = ctx.engine.placeOco({ account: account.name, symbol, listClientOrderId: listClientOrderId(p), above, below });
  ctx.publish(events);
  return placedListJson(ctx, list, respType);
}

function placeOtoList(ctx: SimContext, p: Params, account: SimAccount, pendingNames: LegNames[]): unknown {
  const symbol = symbolOf(ctx, p);
  const working = legRequest(p, account, symbol, WORKING, ['LIMIT', 'LIMIT_MAKER']);
  const pending = pendingNames.map((n) => legRequest(p, account, symbol, n, pendingNames.length === 2 ? OCO_TYPES : undefined, pendingNames.length === 2 ? NOT_IN_OCO : undefined));
  const respType = respTypeOf(p);
  const { list, events } = ctx.engine.placeOto({ account: account.name, symbol, listClientOrderId: listClientOrderId(p), working, pending });
  ctx.publish(events);
  return placedListJson(ctx, list, respType);
}

export const placeOto = (ctx: SimContext, p: Params, account: SimAccount): unknown => placeOtoList(ctx, p, account, [PENDING]);
export const placeOtoco = (ctx: SimContext, p: Params, account: SimAccount): unknown => placeOtoList(ctx, p, account, [PENDING_ABOVE, PENDING_BELOW]);

function listRef(p: Params, clientIdName: string): ListRef {
  const { id, clientId } = p.idOrClientId('orderListId', clientIdName);
  return { ...(id !== undefined ? { orderListId: id } : {}), ...(clientId !== undefined ? { listClientOrderId: clientId } : {}) };
}

export const CANCEL_LIST_PARAMS = ['symbol', 'orderListId', 'listClientOrderId', 'newClientOrderId'] as const;

/** DELETE orderList: every open order of the list canceled, under the cancel's own client id. */
export function cancelList(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const symbol = symbolOf(ctx, p);
  const ref = listRef(p, 'listClientOrderId');
  const cancelId = p.matching('newClientOrderId', CLIENT_ORDER_ID);
  const { list, events, cancelClientOrderId } = ctx.engine.cancelOrderList(account.name, symbol, ref, cancelId);
  ctx.publish(events);
  return listJson(list, list.orders.map((o) => cancelJson(o, cancelClientOrderId)));
}

export const LIST_STATUS_PARAMS = ['orderListId', 'origClientOrderId'] as const;

export function listStatus(ctx: SimContext, p: Params, account: SimAccount): unknown {
  return listJson(ctx.engine.orderList(account.name, listRef(p, 'origClientOrderId')));
}

export const ALL_LISTS_PARAMS = ['fromId', 'startTime', 'endTime', 'limit'] as const;

/** GET allOrderList: from `fromId` on (oldest first), else the newest first within the time range. */
export function allLists(ctx: SimContext, p: Params, account: SimAccount): unknown {
  const fromId = p.integer('fromId', 0, Number.MAX_SAFE_INTEGER);
  const { startTime, endTime } = timeRange(p);
  if (fromId !== undefined && (startTime !== undefined || endTime !== undefined)) throw new ExchangeError(-1128, 'Combination of optional parameters invalid.');
  const limit = p.integer('limit', 1, 1000) ?? 500;
  const lists = ctx.engine.orderLists(account.name).filter((l) => (fromId === undefined || l.orderListId >= fromId) && (startTime === undefined || l.transactionTime >= startTime) && (endTime === undefined || l.transactionTime <= endTime));
  const page = historyPage(lists, fromId !== undefined, limit);
  return (fromId !== undefined ? page : page.reverse()).map((l) => listJson(l));
}

export function openLists(ctx: SimContext, _p: Params, account: SimAccount): unknown {
  return ctx.engine.openOrderLists(account.name).map((l) => listJson(l));
}
