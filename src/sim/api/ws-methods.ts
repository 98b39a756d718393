/**
 * The WS API's methods in one table, as routes.ts is for REST: weight, the parameters each reads,
 * how it authenticates, and its handler (most are the REST handlers). User data stream methods
 * keep Binance's limits: one subscription per account per connection, 1000 active, 65535 in a
 * connection's life.
 */
import { ExchangeError } from '../engine/types.js';
import type { SimAccount } from './accounts.js';
import type { SimContext } from './context.js';
import type { RateLimitError } from './limits.js';
import { aggTrades, avgPrice, depth, depthWeight, exchangeInfo, historicalTrades, klines, trades } from './market-data.js';
import { EXCHANGE_INFO_PARAMS, KLINE_PARAMS, TICKER_PARAMS } from './routes.js';
import * as tickers from './tickers.js';
import type { Params } from './params.js';
import { CANCEL_REPLACE_PARAMS, cancelReplace } from './cancel-replace.js';
import * as lists from './order-lists.js';
import * as queries from './order-queries.js';
import * as trading from './trading.js';

export interface WsSession {
  /** Set by session.logon, cleared by session.logout. */
  account: SimAccount | undefined;
  /** When session.logon authenticated the connection. */
  authorizedSince: number | undefined;
  connectedSince: number;
  /** Whether answers carry rateLimits unless a request says otherwise (?returnRateLimits=false). */
  rateLimitsByDefault: boolean;
  /** subscriptionId -> account name. */
  subscriptions: Map<number, string>;
  /** The subscription userDataStream.subscribe made for the logged-on account (session.logout closes it). */
  sessionSubscription: number | undefined;
  nextSubscriptionId: number;
}

export interface WsMethod {
  weight: number | ((p: Params) => number);
  params: readonly string[];
  /** none; signed (apiKey + signature); signed-or-session (or a logged-on session); session (logged on). */
  auth: 'none' | 'signed' | 'signed-or-session' | 'session';
  /** Weighs 0 when it succeeds, as routes.ts says. */
  freeOnSuccess?: true;
  /** Counts toward the ORDERS limit: true for one order, or how many (an order list's orders). */
  placesOrder?: boolean | number;
  /** The method answers past the ORDERS limit itself (given the -1015), as routes.ts says. */
  overOrderLimit?: true;
  run: (ctx: SimContext, session: WsSession, p: Params, account: SimAccount, overOrderLimit?: RateLimitError) => unknown;
}

const MAX_ACTIVE_SUBSCRIPTIONS = 1000;
const MAX_SUBSCRIPTION_ID = 65_535;

/** session.logon, session.status and session.logout answer the session's state. */
function sessionStatus(ctx: SimContext, session: WsSession): unknown {
  return {
    apiKey: session.account?.apiKey ?? null,
    authorizedSince: session.account ? session.authorizedSince : null,
    connectedSince: session.connectedSince,
    returnRateLimits: session.rateLimitsByDefault,
    serverTime: ctx.now(),
    userDataStream: session.subscriptions.size > 0,
  };
}

function subscribe(session: WsSession, account: SimAccount): { subscriptionId: number } {
  if ([...session.subscriptions.values()].includes(account.name)) throw new ExchangeError(-2035, 'User Data Stream subscription already active.');
  if (session.subscriptions.size >= MAX_ACTIVE_SUBSCRIPTIONS || session.nextSubscriptionId > MAX_SUBSCRIPTION_ID) {
    throw new ExchangeError(-2042, 'Maximum subscription ID reached for this connection.');
  }
  const subscriptionId = session.nextSubscriptionId++;
  session.subscriptions.set(subscriptionId, account.name);
  return { subscriptionId };
}

export const WS_METHODS: Readonly<Record<string, WsMethod>> = {
  ping: { weight: 1, params: [], auth: 'none', run: () => ({}) },
  time: { weight: 1, params: [], auth: 'none', run: (ctx) => ({ serverTime: ctx.now() }) },
  exchangeInfo: { weight: 20, params: EXCHANGE_INFO_PARAMS, auth: 'none', run: (ctx, _s, p) => exchangeInfo(ctx, p) },
  depth: { weight: depthWeight, params: ['symbol', 'limit'], auth: 'none', run: (ctx, _s, p) => depth(ctx, p) },
  'trades.recent': { weight: 25, params: ['symbol', 'limit'], auth: 'none', run: (ctx, _s, p) => trades(ctx, p) },
  'trades.aggregate': { weight: 4, params: ['symbol', 'fromId', 'startTime', 'endTime', 'limit'], auth: 'none', run: (ctx, _s, p) => aggTrades(ctx, p) },
  klines: { weight: 2, params: KLINE_PARAMS, auth: 'none', run: (ctx, _s, p) => klines(ctx, p) },
  avgPrice: { weight: 2, params: ['symbol'], auth: 'none', run: (ctx, _s, p) => avgPrice(ctx, p) },
  'ticker.24hr': { weight: tickers.ticker24hWeight, params: [...TICKER_PARAMS, 'type'], auth: 'none', run: (ctx, _s, p) => tickers.ticker24h(ctx, p) },
  'ticker.book': { weight: tickers.priceTickerWeight, params: TICKER_PARAMS, auth: 'none', run: (ctx, _s, p) => tickers.bookTicker(ctx, p) },
  'trades.historical': { weight: 25, params: ['symbol', 'fromId', 'limit'], auth: 'none', run: (ctx, _s, p) => historicalTrades(ctx, p) },
  uiKlines: { weight: 2, params: KLINE_PARAMS, auth: 'none', run: (ctx, _s, p) => klines(ctx, p) },
  'ticker.tradingDay': { weight: tickers.windowTickerWeight, params: [...TICKER_PARAMS, 'timeZone', 'type'], auth: 'none', run: (ctx, _s, p) => tickers.tickerTradingDay(ctx, p) },
  ticker: { weight: tickers.windowTickerWeight, params: [...TICKER_PARAMS, 'windowSize', 'type'], auth: 'none', run: (ctx, _s, p) => tickers.tickerRolling(ctx, p) },
  'ticker.price': { weight: tickers.priceTickerWeight, params: TICKER_PARAMS, auth: 'none', run: (ctx, _s, p) => tickers.tickerPrice(ctx, p) },
  'session.logon': {
    weight: 2,
    params: [],
    auth: 'signed',
    run: (ctx, session, _p, account) => {
      if (account.ed25519PublicKey === undefined) throw new ExchangeError(-4056, `${account.rsaPublicKey ? 'RSA' : 'HMAC_SHA256'} API key is not supported.`);
      session.account = account;
      session.authorizedSince = ctx.now();
      return sessionStatus(ctx, session);
    },
  },
  'session.status': { weight: 2, params: [], auth: 'none', run: (ctx, session) => sessionStatus(ctx, session) },
  'session.logout': {
    weight: 2,
    params: [],
    auth: 'none',
    run: (ctx, session) => {
      // Closes the subscription userDataStream.subscribe made, not those of userDataStream.subscribe.signature.
      if (session.sessionSubscription !== undefined) session.subscriptions.delete(session.sessionSubscription);
      session.sessionSubscription = undefined;
      session.account = undefined;
      session.authorizedSince = undefined;
      return sessionStatus(ctx, session);
    },
  },
  'userDataStream.subscribe.signature': { weight: 2, params: [], auth: 'signed', run: (_ctx, session, _p, account) => subscribe(session, account) },
  'userDataStream.subscribe': {
    weight: 2,
    params: [],
    auth: 'session',
    run: (_ctx, session) => {
      if (!session.account) throw new ExchangeError(-2015, 'Invalid API-key, IP, or permissions for action.', 401);
      const made = subscribe(session, session.account);
      session.sessionSubscription = made.subscriptionId;
      return made;
    },
  },
  'userDataStream.unsubscribe': {
    weight: 2,
    params: ['subscriptionId'],
    auth: 'none',
    run: (_ctx, session, p) => {
      const id = p.integer('subscriptionId', 0, Number.MAX_SAFE_INTEGER);
      if (id === undefined) session.subscriptions.clear();
      else session.subscriptions.delete(id);
      if (session.sessionSubscription !== undefined && !session.subscriptions.has(session.sessionSubscription)) session.sessionSubscription = undefined;
      return {};
    },
  },
  'session.subscriptions': { weight: 2, params: [], auth: 'none', run: (_ctx, session) => [...session.subscriptions.keys()].map((subscriptionId) => ({ subscriptionId })) },
  'order.place': { weight: 1, freeOnSuccess: true, params: trading.ORDER_PARAMS, auth: 'signed-or-session', placesOrder: true, run: (ctx, _s, p, a) => trading.newOrder(ctx, p, a) },
  'order.test': { weight: trading.testOrderWeight, params: [...trading.ORDER_PARAMS, 'computeCommissionRates'], auth: 'signed-or-session', run: (ctx, _s, p, a) => trading.testOrder(ctx, p, a) },
  'order.cancel': { weight: 1, freeOnSuccess: true, params: trading.CANCEL_PARAMS, auth: 'signed-or-session', run: (ctx, _s, p, a) => trading.cancel(ctx, p, a) },
  'order.status': { weight: 4, params: trading.ORDER_REF, auth: 'signed-or-session', run: (ctx, _s, p, a) => trading.orderStatus(ctx, p, a) },
  'openOrders.status': { weight: trading.openOrdersWeight, params: ['symbol'], auth: 'signed-or-session', run: (ctx, _s, p, a) => trading.openOrders(ctx, p, a) },
  'openOrders.cancelAll': { weight: 1, freeOnSuccess: true, params: ['symbol'], auth: 'signed-or-session', run: (ctx, _s, p, a) => trading.cancelAll(ctx, p, a) },
  'account.status': { weight: 20, params: ['omitZeroBalances'], auth: 'signed-or-session', run: (ctx, _s, p, a) => trading.accountInfo(ctx, p, a) },
  myTrades: { weight: trading.myTradesWeight, params: ['symbol', 'orderId', 'startTime', 'endTime', 'fromId', 'limit'], auth: 'signed-or-session', run: (ctx, _s, p, a) => trading.myTrades(ctx, p, a) },
  'order.cancelReplace': { weight: 1, freeOnSuccess: true, params: CANCEL_REPLACE_PARAMS, auth: 'signed-or-session', placesOrder: true, overOrderLimit: true, run: (ctx, _s, p, a, over) => cancelReplace(ctx, p, a, over) },
  allOrders: { weight: 20, params: queries.ALL_ORDERS_PARAMS, auth: 'signed-or-session', run: (ctx, _s, p, a) => queries.allOrders(ctx, p, a) },
  'account.commission': { weight: 20, params: ['symbol'], auth: 'signed-or-session', run: (ctx, _s, p, a) => queries.commission(ctx, p, a) },
  'account.rateLimits.orders': { weight: 40, params: [], auth: 'signed-or-session', run: (ctx, _s, p, a) => queries.orderCount(ctx, p, a) },
  myPreventedMatches: { weight: queries.preventedMatchesWeight, params: queries.PREVENTED_PARAMS, auth: 'signed-or-session', run: (ctx, _s, p, a) => queries.preventedMatches(ctx, p, a) },
  'orderList.place.oco': { weight: 1, freeOnSuccess: true, params: lists.OCO_PARAMS, auth: 'signed-or-session', placesOrder: 2, run: (ctx, _s, p, a) => lists.placeOco(ctx, p, a) },
  'orderList.place.oto': { weight: 1, freeOnSuccess: true, params: lists.OTO_PARAMS, auth: 'signed-or-session', placesOrder: 2, run: (ctx, _s, p, a) => lists.placeOto(ctx, p, a) },
  'orderList.place.otoco': { weight: 1, freeOnSuccess: true, params: lists.OTOCO_PARAMS, auth: 'signed-or-session', placesOrder: 3, run: (ctx, _s, p, a) => lists.placeOtoco(ctx, p, a) },
  'orderList.status': { weight: 4, params: lists.LIST_STATUS_PARAMS, auth: 'signed-or-session', run: (ctx, _s, p, a) => lists.listStatus(ctx, p, a) },
  'orderList.cancel': { weight: 1, freeOnSuccess: true, params: lists.CANCEL_LIST_PARAMS, auth: 'signed-or-session', run: (ctx, _s, p, a) => lists.cancelList(ctx, p, a) },
  'openOrderLists.status': { weight: 6, params: [], auth: 'signed-or-session', run: (ctx, _s, p, a) => lists.openLists(ctx, p, a) },
  allOrderLists: { weight: 20, params: lists.ALL_LISTS_PARAMS, auth: 'signed-or-session', run: (ctx, _s, p, a) => lists.allLists(ctx, p, a) },
};
