/**
 * cancelReplace past the ORDERS limit (rest-api.md, "Cancel an Existing Order and Send a New Order"):
 * with orderRateLimitExceededMode=DO_NOTHING (the default) nothing is done (-1015, 429); with
 * CANCEL_ONLY the cancel still happens and the answer is -2021 with the -1015 as newOrderResponse,
 * HTTP 429 under STOP_ON_FAILURE (409 under ALLOW_FAILURE), or -2022 if the cancel fails too. The sim
 * runs on a clock the test sets, so the 10-second window cannot turn during the test.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startSimServer } from '../../src/sim/sim-server.js';
import { WsApiClient, restClient } from './sim-client.js';

/** A window start (the ORDERS window is 10 s), not far from now so the signatures' timestamps pass. */
let clock = Math.floor(Date.now() / 10_000) * 10_000 + 1;
const now = () => clock;
let server: Server;
let base: string;

before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, orderLimit: 2, now }));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
after(() => server.close());

const LIMIT = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '50000' };
const REPLACE = { ...LIMIT, price: '50001', cancelReplaceMode: 'STOP_ON_FAILURE' };

describe('cancelReplace over the order-count limit', () => {
  it('REST: DO_NOTHING does nothing; CANCEL_ONLY cancels and answers 429 with -2021', async () => {
    clock += 10_000; // a fresh window
    const rest = restClient(base, undefined, now);
    const a = await rest.signed('POST', '/api/v3/order', LIMIT);
    const b = await rest.signed('POST', '/api/v3/order', LIMIT);
    assert.equal(b.headers.get('x-mbx-order-count-10s'), '2', 'the limit is reached');
    const nothing = await rest.signed('POST', '/api/v3/order/cancelReplace', { ...REPLACE, cancelOrderId: String(a.body.orderId) });
    assert.deepEqual([nothing.status, nothing.body.code], [429, -1015]);
    assert.equal((await rest.signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(a.body.orderId) })).body.status, 'NEW', 'DO_NOTHING: not canceled');

    const only = await rest.signed('POST', '/api/v3/order/cancelReplace', { ...REPLACE, cancelOrderId: String(a.body.orderId), orderRateLimitExceededMode: 'CANCEL_ONLY' });
    assert.equal(only.status, 429);
    assert.deepEqual([only.body.code, only.body.msg], [-2021, 'Order cancel-replace partially failed.']);
    assert.deepEqual([only.body.data.cancelResult, only.body.data.newOrderResult], ['SUCCESS', 'FAILURE']);
    assert.deepEqual([only.body.data.cancelResponse.orderId, only.body.data.cancelResponse.status], [a.body.orderId, 'CANCELED']);
    assert.equal(only.body.data.newOrderResponse.code, -1015);
    assert.match(only.body.data.newOrderResponse.msg, /^Too many new orders; current limit is 2 orders per/);
    assert.equal((await rest.signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(a.body.orderId) })).body.status, 'CANCELED', 'CANCEL_ONLY: canceled');
    const open = (await rest.signed('GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).body as { orderId: number }[];
    assert.deepEqual(open.map((o) => o.orderId), [b.body.orderId], 'and no new order placed');

    // ALLOW_FAILURE: 409 when the cancel succeeds; the cancel failing as well: -2022, 400.
    const allow = await rest.signed('POST', '/api/v3/order/cancelReplace', { ...REPLACE, cancelReplaceMode: 'ALLOW_FAILURE', cancelOrderId: String(b.body.orderId), orderRateLimitExceededMode: 'CANCEL_ONLY' });
    assert.deepEqual([allow.status, allow.body.code, allow.body.data.cancelResult, allow.body.data.newOrderResult], [409, -2021, 'SUCCESS', 'FAILURE']);
    const neither = await rest.signed('POST', '/api/v3/order/cancelReplace', { ...REPLACE, cancelReplaceMode: 'ALLOW_FAILURE', cancelOrderId: String(b.body.orderId), orderRateLimitExceededMode: 'CANCEL_ONLY' });
    assert.deepEqual([neither.status, neither.body.code, neither.body.data.cancelResult, neither.body.data.newOrderResult], [400, -2022, 'FAILURE', 'FAILURE']);
    const stop = await rest.signed('POST', '/api/v3/order/cancelReplace', { ...REPLACE, cancelOrderId: String(b.body.orderId), orderRateLimitExceededMode: 'CANCEL_ONLY' });
    assert.deepEqual([stop.status, stop.body.code, stop.body.data.cancelResult, stop.body.data.newOrderResult, stop.body.data.newOrderResponse], [429, -2022, 'FAILURE', 'NOT_ATTEMPTED', null]);
  });

  it('WS API: CANCEL_ONLY cancels and answers 429 with -2021', async () => {
    clock += 10_000;
    const ws = await WsApiClient.open(base, now);
    try {
      const a = await ws.signed('order.place', LIMIT);
      await ws.signed('order.place', LIMIT);
      const only = await ws.signed('order.cancelReplace', { ...REPLACE, cancelOrderId: a.result.orderId, orderRateLimitExceededMode: 'CANCEL_ONLY' });
      assert.equal(only.status, 429);
      assert.deepEqual([only.error.code, only.error.data.cancelResult, only.error.data.newOrderResult, only.error.data.newOrderResponse.code], [-2021, 'SUCCESS', 'FAILURE', -1015]);
      assert.equal((await ws.signed('order.status', { symbol: 'BTCUSDT', orderId: a.result.orderId })).result.status, 'CANCELED');
      const orders = only.rateLimits.find((l: { rateLimitType: string }) => l.rateLimitType === 'ORDERS');
      assert.ok(orders && orders.count > 2, `rateLimits show the ORDERS count past the limit: ${JSON.stringify(only.rateLimits)}`);
    } finally {
      ws.close();
    }
  });
});
