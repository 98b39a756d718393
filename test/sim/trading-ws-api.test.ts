/**
 * The trading half of issue 14 over the WS API, through the `binance` SDK's WebsocketAPIClient
 * pointed at the sim (HMAC key: the SDK signs each request): order.cancelReplace, allOrders,
 * account.commission, account.rateLimits.orders, orderList.place.oco/oto/otoco, orderList.status,
 * orderList.cancel, openOrderLists.status, allOrderLists and myPreventedMatches. Each answer is
 * checked for Binance's field names in the order web-socket-api.md shows them, and for values that
 * follow from what the test just did (the orders placed, their fills, cancels and expiries).
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebsocketAPIClient } from 'binance';
import type { SimAccount } from '../../src/sim/api/rest.js';
import { startSimServer } from '../../src/sim/sim-server.js';
import { DAY, TEN_SECONDS, restClient, sameWindow, tradeAt } from './sim-client.js';

/** The SDK's account. Its rates are the engine's (0.1%): the engine charges one rate to every account. */
const TRADER: SimAccount = { name: 'trader', apiKey: 'trader-key', hmacSecret: 'trader-secret', makerCommission: 10, takerCommission: 10 };
const TAKER: SimAccount = { name: 'taker', apiKey: 'taker-key', hmacSecret: 'taker-secret', makerCommission: 10, takerCommission: 10 };
let server: Server;
let sdk: WebsocketAPIClient;
let taker: ReturnType<typeof restClient>;

/** Binance's field orders (web-socket-api.md's examples). */
const RATE_LIMIT_FIELDS = ['rateLimitType', 'interval', 'intervalNum', 'limit', 'count'];
const QUERY_ORDER_FIELDS = ['symbol', 'orderId', 'orderListId', 'clientOrderId', 'price', 'origQty', 'executedQty', 'cummulativeQuoteQty', 'status', 'timeInForce', 'type', 'side', 'stopPrice', 'icebergQty', 'time', 'updateTime', 'isWorking', 'workingTime', 'origQuoteOrderQty', 'selfTradePreventionMode'];
const RESULT_FIELDS = ['symbol', 'orderId', 'orderListId', 'clientOrderId', 'transactTime', 'price', 'origQty', 'executedQty', 'origQuoteOrderQty', 'cummulativeQuoteQty', 'status', 'timeInForce', 'type', 'side', 'workingTime', 'selfTradePreventionMode'];
const CANCEL_FIELDS = ['symbol', 'origClientOrderId', 'orderId', 'orderListId', 'clientOrderId', 'transactTime', 'price', 'origQty', 'executedQty', 'origQuoteOrderQty', 'cummulativeQuoteQty', 'status', 'timeInForce', 'type', 'side', 'selfTradePreventionMode'];
const LIST_FIELDS = ['orderListId', 'contingencyType', 'listStatusType', 'listOrderStatus', 'listClientOrderId', 'transactionTime', 'symbol', 'orders'];
const LIST_ORDER_FIELDS = ['symbol', 'orderId', 'clientOrderId'];
/** A stop order's report has stopPrice after side. */
const withStop = (fields: string[]) => [...fields.slice(0, fields.indexOf('side') + 1), 'stopPrice', ...fields.slice(fields.indexOf('side') + 1)];

/** Asserts `o` has exactly `fields`, in that order. */
function assertFields(o: object, fields: string[], what: string): void {
  assert.deepEqual(Object.keys(o), fields, `${what}: Binance's fields in Binance's order`);
}
function assertList(list: any, orders: number, what: string): void {
  assertFields(list, 'orderReports' in list ? [...LIST_FIELDS, 'orderReports'] : LIST_FIELDS, what);
  assert.equal(list.orders.length, orders, `${what}: orders`);
  for (const o of list.orders) assertFields(o, LIST_ORDER_FIELDS, `${what}: an order of the list`);
}

/** A signed request's parameters: Binance wants `timestamp` on every one (the SDK's types omit it on some). */
const signed = <T extends object>(params: T): T & { timestamp: number } => ({ ...params, timestamp: Date.now() });
/** The answer of a request the sim refuses: the SDK rejects with the whole WS API frame. */
async function refusal(request: Promise<unknown>): Promise<any> {
  const frame: any = await request.then(
    (ok) => assert.fail(`expected a refusal, got ${JSON.stringify(ok)}`),
    (err: unknown) => err,
  );
  assert.ok(frame?.error, `a WS API error frame: ${JSON.stringify(frame)}`);
  return frame;
}

const order = async (orderId: number) => (await sdk.getSpotOrderStatus(signed({ symbol: 'BTCUSDT', orderId }))).result as any;
const allOrders = async () => (await sdk.getSpotAllOrders(signed({ symbol: 'BTCUSDT' }))).result as any[];
const balance = async (asset: string) => ((await sdk.getSpotAccountInformation(signed({}))).result as any).balances.find((b: any) => b.asset === asset);
const limit = (side: 'BUY' | 'SELL', quantity: string, price: string, extra: object = {}) =>
  sdk.submitNewSpotOrder(signed({ symbol: 'BTCUSDT', side, type: 'LIMIT', timeInForce: 'GTC', quantity, price, ...extra })).then((r) => r.result as any);

before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, accounts: [TRADER, TAKER], deposits: { trader: { USDT: '100000', BTC: '1' }, taker: { USDT: '1000000', BTC: '10' } } }));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const quiet = { trace: () => {}, info: () => {}, error: (...args: unknown[]) => console.error(...args) };
  sdk = new WebsocketAPIClient({ api_key: TRADER.apiKey, api_secret: TRADER.hmacSecret!, wsUrl: base.replace('http', 'ws'), beautify: false, attachEventListeners: false, muteLatencyWarning: true }, quiet);
  taker = restClient(base, TAKER);
  await tradeAt(taker, '60000'); // the last price stop and OCO prices are placed against
});
after(async () => {
  await sdk.disconnectAll();
  server.closeAllConnections();
  server.close();
});

describe('sim WS API trading methods through the binance SDK', { timeout: 60_000 }, () => {
  it('allOrders lists the orders just placed; account.rateLimits.orders counts them; account.commission', async () => {
    const t0 = (await taker.get('/api/v3/time')).body.serverTime as number;
    const before = (await sdk.getSpotOrderRateLimits(signed({}))).result as any[];
    for (const l of before) assertFields(l, RATE_LIMIT_FIELDS, 'account.rateLimits.orders');
    assert.deepEqual(before.map((l) => [l.rateLimitType, l.interval, l.intervalNum, l.limit, l.count]), [['ORDERS', 'SECOND', 10, 100, 0], ['ORDERS', 'DAY', 1, 160000, 0]], 'nothing placed by this account yet');
    const a = await limit('BUY', '0.01', '50000', { newClientOrderId: 'wa-1' });
    const b = await limit('BUY', '0.02', '49000', { newClientOrderId: 'wa-2' });
    const counted = (await sdk.getSpotOrderRateLimits(signed({}))).result as any[];
    const t1 = (await taker.get('/api/v3/time')).body.serverTime as number;
    // Both orders counted in both intervals; a window that turned in between restarted its count from 0.
    [TEN_SECONDS, DAY].forEach((windowMs, i) => {
      if (sameWindow(windowMs, t0, t1)) assert.equal(counted[i].count, 2, `both orders counted in ${counted[i].interval}`);
      else assert.ok(counted[i].count <= 2, `${counted[i].interval}: at most the 2 orders after the window turned`);
    });

    const all = await allOrders();
    for (const o of all) assertFields(o, QUERY_ORDER_FIELDS, 'allOrders');
    assert.deepEqual(all.map((o) => [o.orderId, o.clientOrderId, o.status, o.side, o.origQty, o.price, o.orderListId, o.isWorking]), [
      [a.orderId, 'wa-1', 'NEW', 'BUY', '0.01000000', '50000.00000000', -1, true],
      [b.orderId, 'wa-2', 'NEW', 'BUY', '0.02000000', '49000.00000000', -1, true],
    ]);
    const fromB = (await sdk.getSpotAllOrders(signed({ symbol: 'BTCUSDT', orderId: b.orderId }))).result as any[];
    assert.deepEqual(fromB.map((o) => o.orderId), [b.orderId], 'orderId: from that order on');
    const latest = (await sdk.getSpotAllOrders(signed({ symbol: 'BTCUSDT', limit: 1 }))).result as any[];
    assert.deepEqual(latest.map((o) => o.orderId), [b.orderId], 'limit: the most recent');
    await sdk.cancelSpotOrder(signed({ symbol: 'BTCUSDT', orderId: a.orderId }));
    assert.deepEqual((await allOrders()).map((o) => o.status), ['CANCELED', 'NEW'], 'a canceled order stays in the history');

    const rates = (await sdk.getSpotAccountCommission(signed({ symbol: 'BTCUSDT' }))).result as any;
    assertFields(rates, ['symbol', 'standardCommission', 'specialCommission', 'taxCommission', 'discount'], 'account.commission');
    for (const k of ['standardCommission', 'specialCommission', 'taxCommission']) assertFields(rates[k], ['maker', 'taker', 'buyer', 'seller'], k);
    assertFields(rates.discount, ['enabledForAccount', 'enabledForSymbol', 'discountAsset', 'discount'], 'discount');
    assert.deepEqual([rates.symbol, rates.standardCommission, rates.discount.discount], ['BTCUSDT', { maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' }, '0.00000000'], "the account's rates (the OCO test checks a fill pays the maker one)");
    await sdk.cancelAllSpotOpenOrders(signed({ symbol: 'BTCUSDT' }));
  });

  it('order.cancelReplace: both succeed (200); the new order fails (409, -2021); the cancel fails (400, -2022); the orders follow', async () => {
    const old = await limit('BUY', '0.01', '50000', { newClientOrderId: 'wcr-old' });
    const both = (await sdk.cancelReplaceSpotOrder(signed({ symbol: 'BTCUSDT', cancelReplaceMode: 'STOP_ON_FAILURE' as const, cancelOrderId: old.orderId, cancelNewClientOrderId: 'wcr-cancel', side: 'BUY' as const, type: 'LIMIT', timeInForce: 'GTC', quantity: '0.02', price: '51000', newClientOrderId: 'wcr-new' }))).result as any;
    assertFields(both, ['cancelResult', 'newOrderResult', 'cancelResponse', 'newOrderResponse'], 'order.cancelReplace');
    assertFields(both.cancelResponse, CANCEL_FIELDS, 'cancelResponse');
    assertFields(both.newOrderResponse, [...RESULT_FIELDS, 'fills'], 'newOrderResponse (FULL, the WS API default for LIMIT)');
    assert.deepEqual([both.cancelResult, both.newOrderResult], ['SUCCESS', 'SUCCESS']);
    assert.deepEqual([both.cancelResponse.orderId, both.cancelResponse.status, both.cancelResponse.origClientOrderId, both.cancelResponse.clientOrderId], [old.orderId, 'CANCELED', 'wcr-old', 'wcr-cancel']);
    assert.deepEqual([both.newOrderResponse.status, both.newOrderResponse.clientOrderId, both.newOrderResponse.origQty, both.newOrderResponse.price, both.newOrderResponse.fills], ['NEW', 'wcr-new', '0.02000000', '51000.00000000', []]);
    assert.deepEqual([(await order(old.orderId)).status, (await order(both.newOrderResponse.orderId)).status], ['CANCELED', 'NEW']);
    assert.equal((await balance('USDT')).locked, '1020.00000000', 'only the new order holds funds (0.02 x 51000)');

    // The cancel succeeds, the new LIMIT_MAKER would take the taker's ask: 409, -2021, and the old order is gone.
    await taker.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '60500' });
    const partial = await refusal(sdk.cancelReplaceSpotOrder(signed({ symbol: 'BTCUSDT', cancelReplaceMode: 'STOP_ON_FAILURE' as const, cancelOrigClientOrderId: 'wcr-new', side: 'BUY' as const, type: 'LIMIT_MAKER', quantity: '0.01', price: '60600' })));
    assert.deepEqual([partial.status, partial.error.code, partial.error.msg], [409, -2021, 'Order cancel-replace partially failed.']);
    assertFields(partial.error.data, ['cancelResult', 'newOrderResult', 'cancelResponse', 'newOrderResponse'], 'the partial failure');
    assert.deepEqual([partial.error.data.cancelResult, partial.error.data.newOrderResult, partial.error.data.cancelResponse.status, partial.error.data.cancelResponse.origClientOrderId, partial.error.data.newOrderResponse], ['SUCCESS', 'FAILURE', 'CANCELED', 'wcr-new', { code: -2010, msg: 'Order would immediately match and take.' }]);
    assert.equal((await order(both.newOrderResponse.orderId)).status, 'CANCELED');
    assert.equal((await balance('USDT')).locked, '0.00000000', 'nothing placed, nothing held');

    // The cancel fails under STOP_ON_FAILURE: 400, -2022, the new order not attempted (no order added).
    const placedBefore = (await allOrders()).length;
    const stopped = await refusal(sdk.cancelReplaceSpotOrder(signed({ symbol: 'BTCUSDT', cancelReplaceMode: 'STOP_ON_FAILURE' as const, cancelOrderId: 999999, side: 'BUY' as const, type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000' })));
    assert.deepEqual([stopped.status, stopped.error.code, stopped.error.msg, stopped.error.data], [400, -2022, 'Order cancel-replace failed.', { cancelResult: 'FAILURE', newOrderResult: 'NOT_ATTEMPTED', cancelResponse: { code: -2011, msg: 'Unknown order sent.' }, newOrderResponse: null }]);
    assert.equal((await allOrders()).length, placedBefore);
    // ALLOW_FAILURE places the new order anyway: 409, -2021, with the order placed.
    const allowed = await refusal(sdk.cancelReplaceSpotOrder(signed({ symbol: 'BTCUSDT', cancelReplaceMode: 'ALLOW_FAILURE' as const, cancelOrderId: 999999, side: 'BUY' as const, type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000', newClientOrderId: 'wcr-allow' })));
    assert.deepEqual([allowed.status, allowed.error.code, allowed.error.data.cancelResult, allowed.error.data.newOrderResult, allowed.error.data.cancelResponse], [409, -2021, 'FAILURE', 'SUCCESS', { code: -2011, msg: 'Unknown order sent.' }]);
    assert.equal((await order(allowed.error.data.newOrderResponse.orderId)).clientOrderId, 'wcr-allow');
    await sdk.cancelAllSpotOpenOrders(signed({ symbol: 'BTCUSDT' }));
    await taker.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
  });

  it('orderList.place.oco: one lock for both legs; the limit leg fills, the stop leg expires; orderList.status, openOrderLists.status, allOrderLists, orderList.cancel', async () => {
    const [btcBefore, usdtBefore] = [await balance('BTC'), await balance('USDT')];
    assert.deepEqual([btcBefore.free, btcBefore.locked, usdtBefore.free, usdtBefore.locked], ['1.00000000', '0.00000000', '100000.00000000', '0.00000000'], 'the deposits, nothing traded yet');
    const dayCount = async () => ((await sdk.getSpotOrderRateLimits(signed({}))).result as any[]).find((l) => l.interval === 'DAY').count;
    const t0 = (await taker.get('/api/v3/time')).body.serverTime as number;
    const countBefore = await dayCount();
    const placed = await sdk.placeSpotOCOOrderList(signed({ symbol: 'BTCUSDT', side: 'SELL' as const, quantity: '0.1', aboveType: 'LIMIT_MAKER' as const, abovePrice: '61000', belowType: 'STOP_LOSS_LIMIT' as const, belowStopPrice: '59000', belowPrice: '58900', belowTimeInForce: 'GTC', listClientOrderId: 'woco-1' }));
    const oco = placed.result as any;
    assertList(oco, 2, 'orderList.place.oco');
    const countAfter = await dayCount();
    // A UTC midnight in between restarts the day's count from 0.
    if (sameWindow(DAY, t0, (await taker.get('/api/v3/time')).body.serverTime)) assert.equal(countAfter - countBefore, 2, 'an OCO counts as two orders');
    else assert.ok(countAfter <= 2, 'at most the OCO\'s two orders after midnight');
    assert.ok((placed.rateLimits as any[]).some((l) => l.rateLimitType === 'ORDERS' && l.count >= 2), `the answer carries the order count: ${JSON.stringify(placed.rateLimits)}`);
    assert.deepEqual([oco.contingencyType, oco.listStatusType, oco.listOrderStatus, oco.listClientOrderId, oco.symbol], ['OCO', 'EXEC_STARTED', 'EXECUTING', 'woco-1', 'BTCUSDT']);
    const [below, above] = oco.orderReports;
    assertFields(below, withStop(RESULT_FIELDS), 'the stop leg report');
    assertFields(above, RESULT_FIELDS, 'the limit leg report');
    assert.deepEqual(oco.orders.map((o: any) => o.orderId), [below.orderId, above.orderId]);
    assert.deepEqual([below.type, below.status, below.stopPrice, below.price, below.workingTime, below.orderListId], ['STOP_LOSS_LIMIT', 'NEW', '59000.00000000', '58900.00000000', -1, oco.orderListId]);
    assert.deepEqual([above.type, above.status, above.price, above.orderListId], ['LIMIT_MAKER', 'NEW', '61000.00000000', oco.orderListId]);
    assert.equal((await balance('BTC')).locked, '0.10000000', 'both legs sell the same 0.1 BTC: locked once');

    const open = (await sdk.getSpotOpenOrderLists(signed({}))).result as any[];
    assert.deepEqual(open.map((l) => l.orderListId), [oco.orderListId]);
    assertList(open[0], 2, 'openOrderLists.status');
    const executing = (await sdk.getSpotOrderListStatus(signed({ orderListId: oco.orderListId }))).result as any;
    assertList(executing, 2, 'orderList.status');
    assert.deepEqual([executing.listStatusType, executing.listOrderStatus], ['EXEC_STARTED', 'EXECUTING']);

    // The taker lifts the limit leg: it fills, the stop leg expires, the list is done.
    await taker.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '61000' });
    assert.deepEqual([(await order(above.orderId)).status, (await order(below.orderId)).status], ['FILLED', 'EXPIRED']);
    const done = (await sdk.getSpotOrderListStatus(signed({ origClientOrderId: 'woco-1' }))).result as any;
    assert.deepEqual([done.orderListId, done.listStatusType, done.listOrderStatus], [oco.orderListId, 'ALL_DONE', 'ALL_DONE'], 'by listClientOrderId too');
    assert.deepEqual((await sdk.getSpotOpenOrderLists(signed({}))).result, []);
    const [btc, usdt] = [await balance('BTC'), await balance('USDT')];
    assert.deepEqual([btc.free, btc.locked], ['0.90000000', '0.00000000'], 'sold 0.1 BTC once, nothing left held');
    assert.equal(usdt.free, '106093.90000000', 'paid 0.1 x 61000 less the maker rate account.commission reports (0.1% = 6.10)');

    // A second OCO, canceled as a list: both legs CANCELED under the cancel's id, the BTC released.
    const second = (await sdk.placeSpotOCOOrderList(signed({ symbol: 'BTCUSDT', side: 'SELL' as const, quantity: '0.05', aboveType: 'LIMIT_MAKER' as const, abovePrice: '62000', belowType: 'STOP_LOSS' as const, belowStopPrice: '59000' }))).result as any;
    assert.equal((await balance('BTC')).locked, '0.05000000');
    const canceled = (await sdk.cancelSpotOrderList(signed({ symbol: 'BTCUSDT', orderListId: second.orderListId, newClientOrderId: 'woco-cancel' }))).result as any;
    assertList(canceled, 2, 'orderList.cancel');
    assert.deepEqual([canceled.orderListId, canceled.listStatusType, canceled.listOrderStatus], [second.orderListId, 'ALL_DONE', 'ALL_DONE']);
    for (const r of canceled.orderReports) assertFields(r, r.type === 'STOP_LOSS' ? withStop(CANCEL_FIELDS) : CANCEL_FIELDS, 'a canceled leg');
    assert.deepEqual(canceled.orderReports.map((r: any) => [r.status, r.clientOrderId, r.orderListId]), [['CANCELED', 'woco-cancel', second.orderListId], ['CANCELED', 'woco-cancel', second.orderListId]]);
    assert.equal((await balance('BTC')).locked, '0.00000000');

    const history = (await sdk.getSpotAllOrderLists(signed({ limit: 500 }))).result as any[];
    for (const l of history) assertList(l, 2, 'allOrderLists');
    assert.deepEqual(history.map((l) => [l.orderListId, l.listOrderStatus]).sort(), [[oco.orderListId, 'ALL_DONE'], [second.orderListId, 'ALL_DONE']]);
    const fromSecond = (await sdk.getSpotAllOrderLists(signed({ fromId: second.orderListId }))).result as any[];
    assert.deepEqual(fromSecond.map((l) => l.orderListId), [second.orderListId], 'fromId: from that list on');
  });

  it('orderList.place.oto and .otoco: the pending orders wait for the working order, then work; an OTOCO pair ends like an OCO', async () => {
    const oto = (await sdk.placeSpotOTOOrderList(signed({ symbol: 'BTCUSDT', workingType: 'LIMIT' as const, workingSide: 'BUY' as const, workingPrice: '59000', workingQuantity: '0.01', workingTimeInForce: 'GTC', pendingType: 'LIMIT_MAKER', pendingSide: 'SELL' as const, pendingPrice: '65000', pendingQuantity: '0.005' }))).result as any;
    assertList(oto, 2, 'orderList.place.oto');
    assert.deepEqual([oto.contingencyType, oto.listStatusType, oto.listOrderStatus], ['OTO', 'EXEC_STARTED', 'EXECUTING']);
    assert.deepEqual(oto.orderReports.map((r: any) => [r.type, r.side, r.status, r.workingTime === -1]), [['LIMIT', 'BUY', 'NEW', false], ['LIMIT_MAKER', 'SELL', 'PENDING_NEW', true]]);
    const pendingId = oto.orders[1].orderId;
    assert.equal((await order(pendingId)).isWorking, false);
    await taker.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '59000' });
    const pending = await order(pendingId);
    assert.deepEqual([(await order(oto.orders[0].orderId)).status, pending.status, pending.isWorking, pending.orderListId], ['FILLED', 'NEW', true, oto.orderListId]);
    await sdk.cancelAllSpotOpenOrders(signed({ symbol: 'BTCUSDT' }));

    const otoco = (await sdk.placeSpotOTOCOOrderList(signed({ symbol: 'BTCUSDT', workingType: 'LIMIT' as const, workingSide: 'BUY' as const, workingPrice: '59000', workingQuantity: '0.01', workingTimeInForce: 'GTC', pendingSide: 'SELL' as const, pendingQuantity: '0.01', pendingAboveType: 'LIMIT_MAKER' as const, pendingAbovePrice: '65000', pendingBelowType: 'STOP_LOSS' as const, pendingBelowStopPrice: '55000', listClientOrderId: 'wotoco' }))).result as any;
    assertList(otoco, 3, 'orderList.place.otoco');
    assert.deepEqual(otoco.orderReports.map((r: any) => [r.type, r.status]), [['LIMIT', 'NEW'], ['STOP_LOSS', 'PENDING_NEW'], ['LIMIT_MAKER', 'PENDING_NEW']], "the working order, then the pending pair below first (Binance's example)");
    const [working, stop, maker] = otoco.orders.map((o: any) => o.orderId);
    await taker.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '59000' });
    assert.deepEqual([(await order(working)).status, (await order(stop)).status, (await order(maker)).status], ['FILLED', 'NEW', 'NEW'], 'the pair works once the working order fills');
    await taker.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '65000' });
    assert.deepEqual([(await order(maker)).status, (await order(stop)).status], ['FILLED', 'EXPIRED'], 'one leg of the pair fills, the other expires');
    const done = (await sdk.getSpotOrderListStatus(signed({ orderListId: otoco.orderListId }))).result as any;
    assert.deepEqual([done.listClientOrderId, done.listOrderStatus], ['wotoco', 'ALL_DONE']);
    assert.equal((await balance('BTC')).locked, '0.00000000');
  });

  it('myPreventedMatches lists the match self-trade prevention stopped, by taker order, maker order and id', async () => {
    const maker = await limit('SELL', '0.01', '63000', { newClientOrderId: 'wpm-maker' });
    const takerOrder = (await sdk.submitNewSpotOrder(signed({ symbol: 'BTCUSDT', side: 'BUY' as const, type: 'LIMIT' as const, timeInForce: 'IOC', quantity: '0.004', price: '63000', selfTradePreventionMode: 'EXPIRE_MAKER' }))).result as any;
    assert.equal((await order(maker.orderId)).status, 'EXPIRED_IN_MATCH');
    const byTaker = (await sdk.getSpotPreventedMatches(signed({ symbol: 'BTCUSDT', orderId: takerOrder.orderId }))).result as any[];
    assert.equal(byTaker.length, 1, JSON.stringify(byTaker));
    const [m] = byTaker;
    assertFields(m, ['symbol', 'preventedMatchId', 'takerOrderId', 'makerSymbol', 'makerOrderId', 'tradeGroupId', 'selfTradePreventionMode', 'price', 'makerPreventedQuantity', 'transactTime'], 'myPreventedMatches');
    assert.deepEqual([m.symbol, m.takerOrderId, m.makerSymbol, m.makerOrderId, m.selfTradePreventionMode, m.price, m.makerPreventedQuantity], ['BTCUSDT', takerOrder.orderId, 'BTCUSDT', maker.orderId, 'EXPIRE_MAKER', '63000.00000000', '0.01000000']);
    const byMaker = (await sdk.getSpotPreventedMatches(signed({ symbol: 'BTCUSDT', orderId: maker.orderId }))).result as any[];
    assert.deepEqual(byMaker, byTaker);
    const byId = (await sdk.getSpotPreventedMatches(signed({ symbol: 'BTCUSDT', preventedMatchId: m.preventedMatchId }))).result as any[];
    assert.deepEqual(byId, byTaker);
    assert.deepEqual((await sdk.getSpotPreventedMatches(signed({ symbol: 'BTCUSDT', orderId: maker.orderId, fromPreventedMatchId: m.preventedMatchId + 1 }))).result, [], 'fromPreventedMatchId: none after it');
    const unrelated = (await allOrders()).find((o) => o.clientOrderId === 'wa-1').orderId;
    assert.deepEqual((await sdk.getSpotPreventedMatches(signed({ symbol: 'BTCUSDT', orderId: unrelated }))).result, [], 'none for an order that met no self-trade');
  });
});
