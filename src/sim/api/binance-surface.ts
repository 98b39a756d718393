/**
 * Binance Spot's whole public surface under /api/v3 and the WS API (binance-spot-api-docs,
 * rest-api.md and web-socket-api.md; the retired listenKey endpoints left out), to tell a request
 * the sim does not serve from a made-up one: Binance's own -1020 "This operation is not supported."
 * for the first, -1000 unknown endpoint / unknown method for the second. What the sim serves is
 * routes.ts and ws-methods.ts; the README table lists both sides (surface-doc.ts).
 */
import { ExchangeError } from '../engine/types.js';

export const BINANCE_REST: readonly string[] = [
  'GET /api/v3/ping', 'GET /api/v3/time', 'GET /api/v3/exchangeInfo', 'GET /api/v3/executionRules',
  'GET /api/v3/depth', 'GET /api/v3/trades', 'GET /api/v3/historicalTrades', 'GET /api/v3/historicalBlockTrades',
  'GET /api/v3/aggTrades', 'GET /api/v3/klines', 'GET /api/v3/uiKlines', 'GET /api/v3/avgPrice',
  'GET /api/v3/ticker/24hr', 'GET /api/v3/ticker/tradingDay', 'GET /api/v3/ticker/price', 'GET /api/v3/ticker/bookTicker',
  'GET /api/v3/ticker', 'GET /api/v3/referencePrice', 'GET /api/v3/referencePrice/calculation',
  'POST /api/v3/order', 'POST /api/v3/order/test', 'GET /api/v3/order', 'DELETE /api/v3/order',
  'DELETE /api/v3/openOrders', 'POST /api/v3/order/cancelReplace', 'PUT /api/v3/order/amend/keepPriority',
  'POST /api/v3/order/oco', 'POST /api/v3/orderList/oco', 'POST /api/v3/orderList/oto', 'POST /api/v3/orderList/otoco',
  'POST /api/v3/orderList/opo', 'POST /api/v3/orderList/opoco', 'DELETE /api/v3/orderList',
  'POST /api/v3/sor/order', 'POST /api/v3/sor/order/test',
  'GET /api/v3/account', 'GET /api/v3/openOrders', 'GET /api/v3/allOrders', 'GET /api/v3/orderList',
  'GET /api/v3/allOrderList', 'GET /api/v3/openOrderList', 'GET /api/v3/myTrades', 'GET /api/v3/rateLimit/order',
  'GET /api/v3/myPreventedMatches', 'GET /api/v3/myAllocations', 'GET /api/v3/account/commission',
  'GET /api/v3/order/amendments', 'GET /api/v3/myFilters',
];

export const BINANCE_WS_METHODS: readonly string[] = [
  'ping', 'time', 'exchangeInfo', 'executionRules', 'depth', 'trades.recent', 'trades.historical', 'blockTrades.historical',
  'trades.aggregate', 'klines', 'uiKlines', 'avgPrice', 'ticker.24hr', 'ticker.tradingDay', 'ticker', 'ticker.price',
  'ticker.book', 'referencePrice', 'referencePrice.calculation', 'session.logon', 'session.status', 'session.logout',
  'order.place', 'order.test', 'order.status', 'order.cancel', 'order.cancelReplace', 'order.amend.keepPriority',
  'openOrders.status', 'openOrders.cancelAll', 'orderList.place', 'orderList.place.oco', 'orderList.place.oto',
  'orderList.place.otoco', 'orderList.place.opo', 'orderList.place.opoco', 'orderList.status', 'orderList.cancel',
  'openOrderLists.status', 'allOrderLists', 'sor.order.place', 'sor.order.test', 'account.status', 'allOrders',
  'myTrades', 'account.rateLimits.orders', 'myPreventedMatches', 'myAllocations', 'account.commission',
  'order.amendments', 'myFilters', 'userDataStream.subscribe', 'userDataStream.subscribe.signature',
  'userDataStream.unsubscribe', 'session.subscriptions',
];

/** Binance's answer to an operation it has and the sim does not serve. */
export const notSupported = (): ExchangeError => new ExchangeError(-1020, 'This operation is not supported.');
