/**
 * What the sim serves under /api/v3, in one table: method, path, request weight, whether it is
 * signed, the parameters it reads (anything else is -1104), and its handler. Read by the REST API;
 * the table a README could print is exactly this.
 */
import type { SimAccount } from './accounts.js';
import type { SimContext } from './context.js';
import type { RateLimitError } from './limits.js';
import { aggTrades, avgPrice, depth, depthWeight, exchangeInfo, historicalTrades, klines, trades } from './market-data.js';
import * as tickers from './tickers.js';
import type { Params } from './params.js';
import { CANCEL_REPLACE_PARAMS, cancelReplace } from './cancel-replace.js';
import * as lists from './order-lists.js';
import * as queries from './order-queries.js';
import * as trading from './trading.js';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Request weight (some depend on the parameters, as on Binance). */
  weight: number | ((p: Params) => number);
  signed: boolean;
  /** The parameters the endpoint reads (plus timestamp, recvWindow and signature when signed). */
  params: readonly string[];
  /** Weighs 0 when it succeeds (order operations, Binance since 2026-04-02); `weight` is charged when it fails. */
  freeOnSuccess?: true;
  /** Counts toward the ORDERS limit (X-MBX-ORDER-COUNT-10S): true for one order, or how many (an order list's orders). */
  placesOrder?: boolean | number;
  /** The handler answers past the ORDERS limit itself (given the -1015): cancelReplace's CANCEL_ONLY still cancels. */
  overOrderLimit?: true;
  handle: (ctx: SimContext, p: Params, account: SimAccount, overOrderLimit?: RateLimitError) => unknown;
}

export const SIGNED_PARAMS = ['timestamp', 'recvWindow', 'signature'] as const;

export const KLINE_PARAMS = ['symbol', 'interval', 'startTime', 'endTime', 'timeZone', 'limit'];
/** What every ticker takes to choose its symbols (symbols.ts). */
export const TICKER_PARAMS = ['symbol', 'symbols', 'symbolStatus'];
export const EXCHANGE_INFO_PARAMS = ['symbol', 'symbols', 'permissions', 'showPermissionSets', 'symbolStatus'];

export const REST_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/api/v3/ping', weight: 1, signed: false, params: [], handle: () => ({}) },
  { method: 'GET', path: '/api/v3/time', weight: 1, signed: false, params: [], handle: (ctx) => ({ serverTime: ctx.now() }) },
  { method: 'GET', path: '/api/v3/exchangeInfo', weight: 20, signed: false, params: EXCHANGE_INFO_PARAMS, handle: exchangeInfo },
  { method: 'GET', path: '/api/v3/depth', weight: depthWeight, signed: false, params: ['symbol', 'limit'], handle: depth },
  { method: 'GET', path: '/api/v3/trades', weight: 25, signed: false, params: ['symbol', 'limit'], handle: trades },
  { method: 'GET', path: '/api/v3/aggTrades', weight: 4, signed: false, params: ['symbol', 'fromId', 'startTime', 'endTime', 'limit'], handle: aggTrades },
  { method: 'GET', path: '/api/v3/klines', weight: 2, signed: false, params: KLINE_PARAMS, handle: klines },
  { method: 'GET', path: '/api/v3/avgPrice', weight: 2, signed: false, params: ['symbol'], handle: avgPrice },
  { method: 'GET', path: '/api/v3/ticker/bookTicker', weight: tickers.priceTickerWeight, signed: false, params: TICKER_PARAMS, handle: tickers.bookTicker },
  { method: 'GET', path: '/api/v3/ticker/24hr', weight: tickers.ticker24hWeight, signed: false, params: [...TICKER_PARAMS, 'type'], handle: tickers.ticker24h },
  { method: 'GET', path: '/api/v3/ticker/price', weight: tickers.priceTickerWeight, signed: false, params: TICKER_PARAMS, handle: tickers.tickerPrice },
  { method: 'GET', path: '/api/v3/ticker', weight: tickers.windowTickerWeight, signed: false, params: [...TICKER_PARAMS, 'windowSize', 'type'], handle: tickers.tickerRolling },
  { method: 'GET', path: '/api/v3/ticker/tradingDay', weight: tickers.windowTickerWeight, signed: false, params: [...TICKER_PARAMS, 'timeZone', 'type'], handle: tickers.tickerTradingDay },
  { method: 'GET', path: '/api/v3/uiKlines', weight: 2, signed: false, params: KLINE_PARAMS, handle: klines },
  { method: 'GET', path: '/api/v3/historicalTrades', weight: 25, signed: false, params: ['symbol', 'limit', 'fromId'], handle: historicalTrades },
  { method: 'POST', path: '/api/v3/order', weight: 1, freeOnSuccess: true, signed: true, params: trading.ORDER_PARAMS, placesOrder: true, handle: trading.newOrder },
  { method: 'POST', path: '/api/v3/order/test', weight: trading.testOrderWeight, signed: true, params: [...trading.ORDER_PARAMS, 'computeCommissionRates'], handle: trading.testOrder },
  { method: 'GET', path: '/api/v3/order', weight: 4, signed: true, params: trading.ORDER_REF, handle: trading.orderStatus },
  { method: 'DELETE', path: '/api/v3/order', weight: 1, freeOnSuccess: true, signed: true, params: trading.CANCEL_PARAMS, handle: trading.cancel },
  { method: 'GET', path: '/api/v3/openOrders', weight: trading.openOrdersWeight, signed: true, params: ['symbol'], handle: trading.openOrders },
  { method: 'DELETE', path: '/api/v3/openOrders', weight: 1, freeOnSuccess: true, signed: true, params: ['symbol'], handle: trading.cancelAll },
  { method: 'GET', path: '/api/v3/account', weight: 20, signed: true, params: ['omitZeroBalances'], handle: trading.accountInfo },
  { method: 'GET', path: '/api/v3/myTrades', weight: trading.myTradesWeight, signed: true, params: ['symbol', 'orderId', 'startTime', 'endTime', 'fromId', 'limit'], handle: trading.myTrades },
  { method: 'GET', path: '/api/v3/allOrders', weight: 20, signed: true, params: queries.ALL_ORDERS_PARAMS, handle: queries.allOrders },
  { method: 'GET', path: '/api/v3/account/commission', weight: 20, signed: true, params: ['symbol'], handle: queries.commission },
  { method: 'GET', path: '/api/v3/rateLimit/order', weight: 40, signed: true, params: [], handle: queries.orderCount },
  { method: 'GET', path: '/api/v3/myPreventedMatches', weight: queries.preventedMatchesWeight, signed: true, params: queries.PREVENTED_PARAMS, handle: queries.preventedMatches },
  { method: 'POST', path: '/api/v3/order/cancelReplace', weight: 1, freeOnSuccess: true, signed: true, params: CANCEL_REPLACE_PARAMS, placesOrder: true, overOrderLimit: true, handle: cancelReplace },
  { method: 'POST', path: '/api/v3/orderList/oco', weight: 1, freeOnSuccess: true, signed: true, params: lists.OCO_PARAMS, placesOrder: 2, handle: lists.placeOco },
  { method: 'POST', path: '/api/v3/orderList/oto', weight: 1, freeOnSuccess: true, signed: true, params: lists.OTO_PARAMS, placesOrder: 2, handle: lists.placeOto },
  { method: 'POST', path: '/api/v3/orderList/otoco', weight: 1, freeOnSuccess: true, signed: true, params: lists.OTOCO_PARAMS, placesOrder: 3, handle: lists.placeOtoco },
  { method: 'GET', path: '/api/v3/orderList', weight: 4, signed: true, params: lists.LIST_STATUS_PARAMS, handle: lists.listStatus },
  { method: 'DELETE', path: '/api/v3/orderList', weight: 1, freeOnSuccess: true, signed: true, params: lists.CANCEL_LIST_PARAMS, handle: lists.cancelList },
  { method: 'GET', path: '/api/v3/allOrderList', weight: 20, signed: true, params: lists.ALL_LISTS_PARAMS, handle: lists.allLists },
  { method: 'GET', path: '/api/v3/openOrderList', weight: 6, signed: true, params: [], handle: lists.openLists },
];

export const weightOf = (route: { weight: number | ((p: Params) => number) }, p: Params): number => (typeof route.weight === 'number' ? route.weight : route.weight(p));
