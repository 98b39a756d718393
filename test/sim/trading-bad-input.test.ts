/**
 * Bad input to each new trading endpoint and WS API method: missing or malformed parameters answer
 * Binance's codes (-1102, -1100, -1101, -1106, -1013, -2010, -2011, -1121, -1145, the order-list
 * ones), as REST (HTTP 4xx) and as WS API errors, never a 500. One table walks them all.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';
import { restClient, tradeAt, WsApiClient } from './sim-client.js';

let server: Server;
let base = '';
before(async () => {
  // Refused orders count toward the 10 s order limit too: room for the whole table, twice.
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, orderLimit: 10_000 }));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const api = restClient(base);
  // A last trade at 60000 and a resting ask at 61000 (for the price-relationship and would-match cases).
  await tradeAt(api, '60000');
  await api.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '61000' });
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const OCO = { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', aboveType: 'LIMIT_MAKER', abovePrice: '62000', belowType: 'STOP_LOSS', belowStopPrice: '59000' };
const OTO = { symbol: 'BTCUSDT', workingType: 'LIMIT', workingSide: 'BUY', workingPrice: '59000', workingQuantity: '0.01', workingTimeInForce: 'GTC', pendingType: 'LIMIT_MAKER', pendingSide: 'SELL', pendingPrice: '65000', pendingQuantity: '0.01' };
const OTOCO = { symbol: 'BTCUSDT', workingType: 'LIMIT', workingSide: 'BUY', workingPrice: '59000', workingQuantity: '0.01', workingTimeInForce: 'GTC', pendingSide: 'SELL', pendingQuantity: '0.01', pendingAboveType: 'LIMIT_MAKER', pendingAbovePrice: '65000', pendingBelowType: 'STOP_LOSS', pendingBelowStopPrice: '55000' };
const CR = { symbol: 'BTCUSDT', cancelReplaceMode: 'STOP_ON_FAILURE', cancelOrderId: '1', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000' };
const without = (o: Record<string, string>, k: string) => Object.fromEntries(Object.entries(o).filter(([n]) => n !== k));

/** [what, REST method and path, WS method, params, code, msg (a prefix)] */
const CASES: [string, string, string, string, Record<string, string>, number, string][] = [
  ['allOrders without symbol', 'GET', '/api/v3/allOrders', 'allOrders', {}, -1102, "Mandatory parameter 'symbol'"],
  ['allOrders unknown symbol', 'GET', '/api/v3/allOrders', 'allOrders', { symbol: 'NOPE' }, -1121, 'Invalid symbol.'],
  ['allOrders limit 0', 'GET', '/api/v3/allOrders', 'allOrders', { symbol: 'BTCUSDT', limit: '0' }, -1100, "Illegal characters found in parameter 'limit'"],
  ['allOrders orderId not a number', 'GET', '/api/v3/allOrders', 'allOrders', { symbol: 'BTCUSDT', orderId: 'x' }, -1100, "Illegal characters found in parameter 'orderId'"],
  ['allOrders over 24 hours', 'GET', '/api/v3/allOrders', 'allOrders', { symbol: 'BTCUSDT', startTime: '0', endTime: '90000000' }, -1127, 'More than 24 hours'],
  ['commission without symbol', 'GET', '/api/v3/account/commission', 'account.commission', {}, -1102, "Mandatory parameter 'symbol'"],
  ['commission unknown symbol', 'GET', '/api/v3/account/commission', 'account.commission', { symbol: 'NOPE' }, -1121, 'Invalid symbol.'],
  ['rateLimit/order with an unread parameter', 'GET', '/api/v3/rateLimit/order', 'account.rateLimits.orders', { symbol: 'BTCUSDT' }, -1104, 'Not all sent parameters were read'],
  ['prevented matches without a combination', 'GET', '/api/v3/myPreventedMatches', 'myPreventedMatches', { symbol: 'BTCUSDT' }, -1128, 'Combination of optional parameters invalid.'],
  ['prevented matches bad id', 'GET', '/api/v3/myPreventedMatches', 'myPreventedMatches', { symbol: 'BTCUSDT', preventedMatchId: '-1' }, -1100, "Illegal characters found in parameter 'preventedMatchId'"],
  ['cancelReplace without mode', 'POST', '/api/v3/order/cancelReplace', 'order.cancelReplace', without(CR, 'cancelReplaceMode'), -1102, "Mandatory parameter 'cancelReplaceMode'"],
  ['cancelReplace unknown mode', 'POST', '/api/v3/order/cancelReplace', 'order.cancelReplace', { ...CR, cancelReplaceMode: 'MAYBE' }, -1100, "Illegal characters found in parameter 'cancelReplaceMode'"],
  ['cancelReplace without an order to cancel', 'POST', '/api/v3/order/cancelReplace', 'order.cancelReplace', without(CR, 'cancelOrderId'), -1102, "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent"],
  ['cancelReplace bad restriction', 'POST', '/api/v3/order/cancelReplace', 'order.cancelReplace', { ...CR, cancelRestrictions: 'SOMETIMES' }, -1145, 'Invalid cancelRestrictions'],
  ['cancelReplace new order without price', 'POST', '/api/v3/order/cancelReplace', 'order.cancelReplace', without(CR, 'price'), -1102, "Mandatory parameter 'price'"],
  ['cancelReplace new order off the tick', 'POST', '/api/v3/order/cancelReplace', 'order.cancelReplace', { ...CR, price: '50000.001' }, -1013, 'Filter failure: PRICE_FILTER'],
  ['cancelReplace unknown order', 'POST', '/api/v3/order/cancelReplace', 'order.cancelReplace', { ...CR, cancelOrderId: '424242' }, -2022, 'Order cancel-replace failed.'],
  ['order: STOP_LOSS without stopPrice', 'POST', '/api/v3/order', 'order.place', { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01' }, -1102, "Param 'stopPrice' or 'trailingDelta' must be sent"],
  ['order: STOP_LOSS with a price', 'POST', '/api/v3/order', 'order.place', { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '59000', price: '59000' }, -1106, "Parameter 'price' sent when not required."],
  ['order: LIMIT with a stopPrice', 'POST', '/api/v3/order', 'order.place', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '65000', stopPrice: '59000' }, -1106, "Parameter 'stopPrice' sent when not required."],
  ['order: stop that would trigger now', 'POST', '/api/v3/order', 'order.place', { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '60500' }, -2010, 'Order would trigger immediately.'],
  ['order: stopPrice off the tick', 'POST', '/api/v3/order', 'order.place', { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '59000.001' }, -1013, 'Filter failure: PRICE_FILTER'],
  ['cancel: bad restriction', 'DELETE', '/api/v3/order', 'order.cancel', { symbol: 'BTCUSDT', orderId: '1', cancelRestrictions: 'X' }, -1145, 'Invalid cancelRestrictions'],
  ['OCO without quantity', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', without(OCO, 'quantity'), -1102, "Mandatory parameter 'quantity'"],
  ['OCO without aboveType', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', without(OCO, 'aboveType'), -1102, "Mandatory parameter 'aboveType'"],
  ['OCO with a LIMIT leg', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', { ...OCO, aboveType: 'LIMIT' }, -1158, 'Order type not supported in OCO.'],
  ['OCO with a bad type word', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', { ...OCO, aboveType: 'limit maker' }, -1100, "Illegal characters found in parameter 'aboveType'"],
  ['OCO stop loss above on a SELL', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', { ...OCO, aboveType: 'STOP_LOSS', aboveStopPrice: '62000', belowType: 'STOP_LOSS', belowStopPrice: '59000', abovePrice: '' }, -1166, 'A limit order in a sell OCO must be above.'],
  ['OCO limit below on a BUY', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', { ...OCO, side: 'BUY', aboveType: 'LIMIT_MAKER', abovePrice: '62000', belowType: 'STOP_LOSS', belowStopPrice: '59000' }, -1196, 'A stop loss order in a buy OCO must be above.'],
  ['OCO prices on the wrong sides of the last trade', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', { ...OCO, belowStopPrice: '60500', abovePrice: '62000' }, -2010, 'The relationship of the prices for the orders is not correct.'],
  ['OCO stop leg without its stop', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', without(OCO, 'belowStopPrice'), -1102, "Param 'belowStopPrice' or 'belowTrailingDelta' must be sent"],
  ['OCO malformed quantity', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', { ...OCO, quantity: '1e3' }, -1100, "Illegal characters found in parameter 'quantity'"],
  ['OCO over the balance', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', { ...OCO, quantity: '5' }, -2010, 'Account has insufficient balance for requested action.'],
  ['OCO limit maker that would take', 'POST', '/api/v3/orderList/oco', 'orderList.place.oco', { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.01', aboveType: 'STOP_LOSS', aboveStopPrice: '62000', belowType: 'LIMIT_MAKER', belowPrice: '61500' }, -2010, 'The relationship of the prices for the orders is not correct.'],
  ['OTO working MARKET', 'POST', '/api/v3/orderList/oto', 'orderList.place.oto', { ...OTO, workingType: 'MARKET' }, -1100, "Illegal characters found in parameter 'workingType'"],
  ['OTO without pendingQuantity', 'POST', '/api/v3/orderList/oto', 'orderList.place.oto', without(OTO, 'pendingQuantity'), -1102, "Mandatory parameter 'pendingQuantity'"],
  ['OTO working stop price (the working order is LIMIT or LIMIT_MAKER)', 'POST', '/api/v3/orderList/oto', 'orderList.place.oto', { ...OTO, workingStopPrice: '59000' }, -1104, 'Not all sent parameters were read'],
  ['OTOCO working stop price', 'POST', '/api/v3/orderList/otoco', 'orderList.place.otoco', { ...OTOCO, workingStopPrice: '59000' }, -1104, 'Not all sent parameters were read'],
  ['OTO working without timeInForce', 'POST', '/api/v3/orderList/oto', 'orderList.place.oto', without(OTO, 'workingTimeInForce'), -1102, "Mandatory parameter 'workingTimeInForce'"],
  ['OTO working below NOTIONAL', 'POST', '/api/v3/orderList/oto', 'orderList.place.oto', { ...OTO, workingQuantity: '0.00001' }, -1013, 'Filter failure: NOTIONAL'],
  ['OTO working LIMIT_MAKER that would take', 'POST', '/api/v3/orderList/oto', 'orderList.place.oto', { ...without(OTO, 'workingTimeInForce'), workingType: 'LIMIT_MAKER', workingPrice: '61000' }, -2010, 'Order would immediately match and take.'],
  ['OTOCO pending pair in the wrong order', 'POST', '/api/v3/orderList/otoco', 'orderList.place.otoco', { ...OTOCO, pendingAbovePrice: '50000' }, -2010, 'The relationship of the prices for the orders is not correct.'],
  ['OTOCO without pendingSide', 'POST', '/api/v3/orderList/otoco', 'orderList.place.otoco', without(OTOCO, 'pendingSide'), -1102, "Mandatory parameter 'pendingSide'"],
  ['GET orderList without an id', 'GET', '/api/v3/orderList', 'orderList.status', {}, -1102, "Param 'origClientOrderId' or 'orderListId' must be sent"],
  ['GET orderList unknown', 'GET', '/api/v3/orderList', 'orderList.status', { orderListId: '4242' }, -2013, 'Order list does not exist.'],
  ['DELETE orderList unknown', 'DELETE', '/api/v3/orderList', 'orderList.cancel', { symbol: 'BTCUSDT', orderListId: '4242' }, -2011, 'Order list does not exist.'],
  ['DELETE orderList without symbol', 'DELETE', '/api/v3/orderList', 'orderList.cancel', { orderListId: '1' }, -1102, "Mandatory parameter 'symbol'"],
  ['DELETE orderList bad cancel id', 'DELETE', '/api/v3/orderList', 'orderList.cancel', { symbol: 'BTCUSDT', orderListId: '1', newClientOrderId: 'no spaces' }, -1100, "Illegal characters found in parameter 'newClientOrderId'"],
  ['allOrderList fromId with a time', 'GET', '/api/v3/allOrderList', 'allOrderLists', { fromId: '1', startTime: '1' }, -1128, 'Combination of optional parameters invalid.'],
  ['allOrderList limit too large', 'GET', '/api/v3/allOrderList', 'allOrderLists', { limit: '1001' }, -1100, "Illegal characters found in parameter 'limit'"],
  ['openOrderList with an unread parameter', 'GET', '/api/v3/openOrderList', 'openOrderLists.status', { symbol: 'BTCUSDT' }, -1104, 'Not all sent parameters were read'],
];

describe('bad input to the new trading endpoints and methods', { timeout: 60_000 }, () => {
  it('REST answers Binance\'s code and message for each case, never a 5xx, and changes nothing', async () => {
    const api = restClient(base);
    const before = (await api.signed('GET', '/api/v3/account')).body.balances;
    for (const [what, method, path, , params, code, msg] of CASES) {
      const r = await api.signed(method, path, params);
      assert.ok(r.status >= 400 && r.status < 500, `${what}: HTTP ${r.status}`);
      assert.equal(r.body.code, code, `${what}: ${JSON.stringify(r.body)}`);
      assert.ok(r.body.msg.startsWith(msg), `${what}: ${r.body.msg}`);
    }
    assert.deepEqual((await api.signed('GET', '/api/v3/account')).body.balances, before, 'no bad request moved money');
    assert.deepEqual((await api.signed('GET', '/api/v3/openOrderList')).body, []);
    // A name twice in the query: -1101.
    const dup = await fetch(`${base}/api/v3/allOrders?symbol=BTCUSDT&symbol=BTCUSDT`, { headers: { 'X-MBX-APIKEY': DEMO_ACCOUNT.apiKey } });
    assert.deepEqual([dup.status, ((await dup.json()) as any).code], [400, -1101]);
  });

  it('the WS API answers the same codes for each method', async () => {
    const c = await WsApiClient.open(base);
    try {
      for (const [what, , , method, params, code, msg] of CASES) {
        const answer = await c.signed(method, Object.fromEntries(Object.entries(params).filter(([, v]) => v !== '')));
        assert.ok(answer.status >= 400 && answer.status < 500, `${what}: status ${answer.status}`);
        assert.equal(answer.error.code, code, `${what}: ${JSON.stringify(answer.error)}`);
        assert.ok(answer.error.msg.startsWith(msg), `${what}: ${answer.error.msg}`);
      }
    } finally {
      c.close(); // a failed case must not leave the connection (and the test process) open
    }
  });
});
