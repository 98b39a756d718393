/**
 * The trading half of issue 14 through third-party clients: the `binance` SDK's MainClient (REST)
 * and ccxt, pointed at the sim, with the user data stream read over the WS API. Values follow from
 * the sim's own state: allOrders lists what was just placed, rateLimit/order counts it, an OCO's
 * other leg expires when one fills (with its listStatus events), cancelReplace's outcomes.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { MainClient } from 'binance';
import ccxt from 'ccxt';
import type { SimAccount } from '../../src/sim/api/rest.js';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';
import { waitFor } from '../helpers.js';
import { DAY, errorOf, restClient, sameWindow, TEN_SECONDS, tradeAt, WsApiClient } from './sim-client.js';

const TAKER: SimAccount = { name: 'taker', apiKey: 'taker-key', hmacSecret: 'taker-secret', makerCommission: 10, takerCommission: 10 };
let server: Server;
let base = '';
let sdk: MainClient;
let api: ReturnType<typeof restClient>;
let taker: ReturnType<typeof restClient>;

before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, accounts: [TAKER], deposits: { taker: { USDT: '1000000', BTC: '10' } } }));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  sdk = new MainClient({ api_key: DEMO_ACCOUNT.apiKey, api_secret: DEMO_ACCOUNT.hmacSecret!, baseUrl: base, disableTimeSync: true, beautifyResponses: false });
  api = restClient(base);
  taker = restClient(base, TAKER);
  // A last trade price of 60000 (trigger orders and OCO prices are placed against it).
  await tradeAt(taker, '60000');
});
after(() => {
  server.closeAllConnections();
  server.close();
});

/** The demo account's user data stream over the WS API: `events` are the events, in arrival order. */
async function userStream(): Promise<{ readonly events: any[]; close: () => void }> {
  const c = await WsApiClient.open(base);
  const answer = await c.signed('userDataStream.subscribe.signature', {});
  assert.equal(answer.status, 200, JSON.stringify(answer));
  return {
    get events() {
      return c.messages.filter((m) => m.event).map((m) => m.event);
    },
    close: () => c.close(),
  };
}

const limit = (side: 'BUY' | 'SELL', quantity: number, price: number, extra: object = {}) => sdk.submitNewOrder({ symbol: 'BTCUSDT', side, type: 'LIMIT', timeInForce: 'GTC', quantity, price, ...extra } as any) as Promise<any>;

describe('sim trading through the binance SDK and ccxt', { timeout: 60_000 }, () => {
  it('allOrders lists the orders just placed; rateLimit/order counts them; account/commission', async () => {
    const t0 = (await api.get('/api/v3/time')).body.serverTime as number;
    const before = (await sdk.getOrderRateLimit()) as any[];
    assert.deepEqual(before.map((l) => [l.rateLimitType, l.interval, l.intervalNum, l.limit]), [['ORDERS', 'SECOND', 10, 100], ['ORDERS', 'DAY', 1, 160000]]);
    const a = await limit('BUY', 0.01, 50000, { newClientOrderId: 'all-1' });
    const b = await limit('BUY', 0.02, 49000, { newClientOrderId: 'all-2' });
    const after = (await sdk.getOrderRateLimit()) as any[];
    const t1 = (await api.get('/api/v3/time')).body.serverTime as number;
    // Both orders counted in both intervals; a window that turned in between restarted its count from 0.
    [TEN_SECONDS, DAY].forEach((windowMs, i) => {
      if (sameWindow(windowMs, t0, t1)) assert.equal(after[i].count - before[i].count, 2, `both orders counted in ${after[i].interval}`);
      else assert.ok(after[i].count >= 0 && after[i].count <= 2, `${after[i].interval}: at most the 2 orders after the window turned`);
    });
    const all = (await sdk.getAllOrders({ symbol: 'BTCUSDT' })) as any[];
    const mine = all.filter((o) => o.orderId >= a.orderId);
    assert.deepEqual(mine.map((o) => [o.orderId, o.clientOrderId, o.status, o.origQty, o.price, o.orderListId]), [
      [a.orderId, 'all-1', 'NEW', '0.01000000', '50000.00000000', -1],
      [b.orderId, 'all-2', 'NEW', '0.02000000', '49000.00000000', -1],
    ]);
    const fromB = (await sdk.getAllOrders({ symbol: 'BTCUSDT', orderId: b.orderId })) as any[];
    assert.deepEqual(fromB.map((o) => o.orderId), [b.orderId], 'orderId: from that order on');
    const latest = (await sdk.getAllOrders({ symbol: 'BTCUSDT', limit: 1 })) as any[];
    assert.deepEqual(latest.map((o) => o.orderId), [b.orderId], 'limit: the latest');
    const rates = (await sdk.getCommissionRates({ symbol: 'BTCUSDT' })) as any;
    assert.deepEqual(rates, {
      symbol: 'BTCUSDT',
      standardCommission: { maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' },
      specialCommission: { maker: '0.00000000', taker: '0.00000000', buyer: '0.00000000', seller: '0.00000000' },
      taxCommission: { maker: '0.00000000', taker: '0.00000000', buyer: '0.00000000', seller: '0.00000000' },
      discount: { enabledForAccount: false, enabledForSymbol: false, discountAsset: 'BNB', discount: '0.00000000' },
    });
    await api.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
  });

  it('cancelReplace: both succeed; the new order fails (409, -2021); the cancel fails (400, -2022, or 409 with ALLOW_FAILURE)', async () => {
    const old = await limit('BUY', 0.01, 50000, { newClientOrderId: 'cr-old' });
    const ok = (await sdk.replaceOrder({ symbol: 'BTCUSDT', cancelReplaceMode: 'STOP_ON_FAILURE', cancelOrderId: old.orderId, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 0.02, price: 51000, newClientOrderId: 'cr-new' } as any)) as any;
    assert.deepEqual([ok.cancelResult, ok.newOrderResult, ok.cancelResponse.status, ok.cancelResponse.origClientOrderId, ok.newOrderResponse.status, ok.newOrderResponse.clientOrderId], ['SUCCESS', 'SUCCESS', 'CANCELED', 'cr-old', 'NEW', 'cr-new']);
    const usdt = ((await sdk.getAccountInformation()) as any).balances.find((x: any) => x.asset === 'USDT');
    assert.equal(usdt.locked, '1020.00000000', 'only the new order holds funds');
    // Cancel succeeds, the new LIMIT_MAKER would take: 409 -2021, the old order is gone.
    await taker.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '60500' });
    const partial = await api.signed('POST', '/api/v3/order/cancelReplace', { symbol: 'BTCUSDT', cancelReplaceMode: 'STOP_ON_FAILURE', cancelOrigClientOrderId: 'cr-new', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.01', price: '60600' });
    assert.deepEqual([partial.status, partial.body.code, partial.body.msg], [409, -2021, 'Order cancel-replace partially failed.']);
    assert.deepEqual([partial.body.data.cancelResult, partial.body.data.newOrderResult, partial.body.data.cancelResponse.status, partial.body.data.newOrderResponse], ['SUCCESS', 'FAILURE', 'CANCELED', { code: -2010, msg: 'Order would immediately match and take.' }]);
    // The cancel fails: STOP_ON_FAILURE does not try the new order.
    const stop = await api.signed('POST', '/api/v3/order/cancelReplace', { symbol: 'BTCUSDT', cancelReplaceMode: 'STOP_ON_FAILURE', cancelOrderId: '999999', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000' });
    assert.deepEqual([stop.status, stop.body.code, stop.body.data], [400, -2022, { cancelResult: 'FAILURE', newOrderResult: 'NOT_ATTEMPTED', cancelResponse: { code: -2011, msg: 'Unknown order sent.' }, newOrderResponse: null }]);
    // ALLOW_FAILURE places it anyway: 409 -2021 with the new order.
    const allow = await api.signed('POST', '/api/v3/order/cancelReplace', { symbol: 'BTCUSDT', cancelReplaceMode: 'ALLOW_FAILURE', cancelOrderId: '999999', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000', newClientOrderId: 'cr-allow' });
    assert.deepEqual([allow.status, allow.body.code, allow.body.data.cancelResult, allow.body.data.newOrderResult, allow.body.data.newOrderResponse.clientOrderId], [409, -2021, 'FAILURE', 'SUCCESS', 'cr-allow']);
    // cancelRestrictions: ONLY_PARTIALLY_FILLED refuses a NEW order.
    const restricted = await api.signed('POST', '/api/v3/order/cancelReplace', { symbol: 'BTCUSDT', cancelReplaceMode: 'STOP_ON_FAILURE', cancelOrigClientOrderId: 'cr-allow', cancelRestrictions: 'ONLY_PARTIALLY_FILLED', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000' });
    assert.deepEqual([restricted.status, restricted.body.data.cancelResponse], [400, { code: -2011, msg: 'Order was not canceled due to cancel restrictions.' }]);
    await api.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
    await taker.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
  });

  it('an OCO: one lock for both legs; the limit leg fills, the stop leg expires, with listStatus events; the list queries', async () => {
    const stream = await userStream();
    const btc = async () => ((await sdk.getAccountInformation()) as any).balances.find((x: any) => x.asset === 'BTC');
    const btcBefore = await btc();
    const oco = (await sdk.submitNewOrderList({ symbol: 'BTCUSDT', side: 'SELL', quantity: 0.1, aboveType: 'LIMIT_MAKER', abovePrice: 61000, belowType: 'STOP_LOSS_LIMIT', belowStopPrice: 59000, belowPrice: 58900, belowTimeInForce: 'GTC', listClientOrderId: 'oco-1' } as any)) as any;
    assert.deepEqual([oco.contingencyType, oco.listStatusType, oco.listOrderStatus, oco.listClientOrderId, oco.orders.length], ['OCO', 'EXEC_STARTED', 'EXECUTING', 'oco-1', 2]);
    const [below, above] = oco.orderReports;
    assert.deepEqual([below.type, below.status, below.stopPrice, below.workingTime, above.type, above.status, above.price], ['STOP_LOSS_LIMIT', 'NEW', '59000.00000000', -1, 'LIMIT_MAKER', 'NEW', '61000.00000000']);
    const locked = await btc();
    assert.equal(Number(locked.locked) - Number(btcBefore.locked), 0.1, 'both legs sell the same 0.1 BTC: locked once');
    assert.deepEqual(((await sdk.getAllOpenOCO()) as any[]).map((l) => l.orderListId), [oco.orderListId]);
    // Another account takes the LIMIT_MAKER leg: the stop leg expires, the list is done.
    await taker.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '61000' });
    const done = await waitFor('listStatus ALL_DONE', () => stream.events.find((ev) => ev.e === 'listStatus' && ev.g === oco.orderListId && ev.l === 'ALL_DONE'));
    assert.deepEqual([done.c, done.L, done.C, done.s, done.O.map((o: any) => o.i)], ['OCO', 'ALL_DONE', 'oco-1', 'BTCUSDT', [below.orderId, above.orderId]]);
    const reports = stream.events.filter((ev) => ev.e === 'executionReport' && ev.g === oco.orderListId);
    assert.deepEqual(reports.map((ev) => [ev.i, ev.x, ev.X]), [
      [below.orderId, 'NEW', 'NEW'],
      [above.orderId, 'NEW', 'NEW'],
      [above.orderId, 'TRADE', 'FILLED'],
      [below.orderId, 'EXPIRED', 'EXPIRED'],
    ]);
    const order = (e: any) => stream.events.indexOf(e);
    assert.ok(order(stream.events.find((ev) => ev.e === 'listStatus' && ev.l === 'EXEC_STARTED' && ev.g === oco.orderListId)) > order(reports[1]), 'EXEC_STARTED after the legs\' reports');
    assert.ok(order(done) > order(reports[3]), 'ALL_DONE after the expiry');
    assert.equal(reports[0].P, '59000.00000000');
    const queried = (await sdk.getOCO({ orderListId: oco.orderListId } as any)) as any;
    assert.deepEqual([queried.listStatusType, queried.listOrderStatus, queried.orders.map((o: any) => o.orderId)], ['ALL_DONE', 'ALL_DONE', [below.orderId, above.orderId]]);
    assert.ok(((await sdk.getAllOCO()) as any[]).some((l) => l.orderListId === oco.orderListId));
    assert.deepEqual(await sdk.getAllOpenOCO(), []);
    const after = await btc();
    assert.deepEqual([after.locked, (Number(btcBefore.free) - Number(after.free)).toFixed(8)], [btcBefore.locked, '0.10000000'], 'sold 0.1 BTC, nothing left locked');
    // A second OCO canceled as a list: both legs CANCELED under the cancel's id.
    const second = (await sdk.submitNewOrderList({ symbol: 'BTCUSDT', side: 'SELL', quantity: 0.05, aboveType: 'LIMIT_MAKER', abovePrice: 62000, belowType: 'STOP_LOSS', belowStopPrice: 59000 } as any)) as any;
    const canceled = (await sdk.cancelOCO({ symbol: 'BTCUSDT', orderListId: second.orderListId, newClientOrderId: 'oco-cancel' } as any)) as any;
    assert.deepEqual(canceled.orderReports.map((r: any) => [r.status, r.clientOrderId, r.orderListId]), [['CANCELED', 'oco-cancel', second.orderListId], ['CANCELED', 'oco-cancel', second.orderListId]]);
    assert.deepEqual((await btc()).locked, btcBefore.locked);
    stream.close();
  });

  it('an OTO: the pending order is placed when the working order fills; a stop order triggers on the market', async () => {
    const oto = (await sdk.submitNewOrderListOTO({ symbol: 'BTCUSDT', workingType: 'LIMIT', workingSide: 'BUY', workingPrice: 60000, workingQuantity: 0.01, workingTimeInForce: 'GTC', pendingType: 'LIMIT_MAKER', pendingSide: 'SELL', pendingPrice: 65000, pendingQuantity: 0.005 } as any)) as any;
    assert.deepEqual(oto.orderReports.map((r: any) => r.status), ['NEW', 'PENDING_NEW']);
    await taker.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '60000' });
    const pending = (await sdk.getOrder({ symbol: 'BTCUSDT', orderId: oto.orders[1].orderId })) as any;
    assert.deepEqual([pending.status, pending.isWorking, pending.orderListId], ['NEW', true, oto.orderListId]);
    await api.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
    // A BUY STOP_LOSS_LIMIT at 60500: waits at 60000, works after a trade at 60500.
    const stop = (await sdk.submitNewOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: 0.01, price: 60600, stopPrice: 60500 } as any)) as any;
    const waiting = (await sdk.getOrder({ symbol: 'BTCUSDT', orderId: stop.orderId })) as any;
    assert.deepEqual([waiting.status, waiting.isWorking, waiting.stopPrice, waiting.workingTime], ['NEW', false, '60500.00000000', -1]);
    await tradeAt(taker, '60500');
    const working = (await sdk.getOrder({ symbol: 'BTCUSDT', orderId: stop.orderId })) as any;
    assert.deepEqual([working.status, working.isWorking, working.price], ['NEW', true, '60600.00000000']);
    await api.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
  });

  it('myPreventedMatches lists the match self-trade prevention stopped', async () => {
    const maker = await limit('SELL', 0.01, 70000);
    const takerOrder = await limit('BUY', 0.01, 70000, { selfTradePreventionMode: 'EXPIRE_TAKER' });
    const matches = (await sdk.getPreventedMatches({ symbol: 'BTCUSDT', orderId: takerOrder.orderId })) as any[];
    assert.equal(matches.length, 1);
    assert.deepEqual({ ...matches[0], transactTime: 0 }, { symbol: 'BTCUSDT', preventedMatchId: matches[0].preventedMatchId, takerOrderId: takerOrder.orderId, makerSymbol: 'BTCUSDT', makerOrderId: maker.orderId, tradeGroupId: -1, selfTradePreventionMode: 'EXPIRE_TAKER', price: '70000.00000000', takerPreventedQuantity: '0.01000000', transactTime: 0 });
    assert.deepEqual(((await sdk.getPreventedMatches({ symbol: 'BTCUSDT', preventedMatchId: matches[0].preventedMatchId })) as any[]).length, 1);
    await api.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
  });

  it('ccxt: fetchOrders (allOrders), editOrder (cancelReplace), a stop-limit order (STOP_LOSS_LIMIT)', async () => {
    const exchange = new ccxt.binance({ apiKey: DEMO_ACCOUNT.apiKey, secret: DEMO_ACCOUNT.hmacSecret!, options: { fetchCurrencies: false, fetchMargins: false, adjustForTimeDifference: false, defaultType: 'spot', fetchMarkets: { types: ['spot'] } } });
    const api3 = `${base}/api/v3`;
    Object.assign(exchange.urls['api'] as Record<string, string>, { public: api3, private: api3, v3: api3 });
    const placed = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50000, { newClientOrderId: 'ccxt-1' });
    const orders = await exchange.fetchOrders('BTC/USDT');
    assert.ok(orders.some((o) => o.id === placed.id && o.clientOrderId === 'ccxt-1' && o.status === 'open'));
    const edited = await exchange.editOrder(placed.id as string, 'BTC/USDT', 'limit', 'buy', 0.02, 49000);
    assert.deepEqual([edited.price, edited.amount, edited.status], [49000, 0.02, 'open']);
    assert.equal((await exchange.fetchOrder(placed.id as string, 'BTC/USDT')).status, 'canceled');
    const stop = await exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.01, 58900, { stopPrice: 59000 });
    const raw = (await api.signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(stop.id) })).body;
    assert.deepEqual([raw.type, raw.stopPrice, raw.status], ['STOP_LOSS_LIMIT', '59000.00000000', 'NEW']);
    await api.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
    assert.deepEqual(errorOf(await api.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' })), [400, -2011, 'Unknown order sent.']);
  });
});
