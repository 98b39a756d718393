/**
 * Request weight of order operations (Binance's CHANGELOG, 2026-03-27, in force since 2026-04-02):
 * a successful order placement, cancel, cancelReplace, order list placement or cancel weighs 0; a
 * failed one is charged its documented weight. The sim runs on a clock the test sets, so the weight
 * minute cannot turn during the test.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { REST_ROUTES } from '../../src/sim/api/routes.js';
import { WS_METHODS } from '../../src/sim/api/ws-methods.js';
import { startSimServer } from '../../src/sim/sim-server.js';
import { WsApiClient, restClient } from './sim-client.js';

/** The endpoints and methods the CHANGELOG lists that the sim serves. */
const FREE_REST = ['POST /api/v3/order', 'DELETE /api/v3/order', 'DELETE /api/v3/openOrders', 'POST /api/v3/order/cancelReplace', 'POST /api/v3/orderList/oco', 'POST /api/v3/orderList/oto', 'POST /api/v3/orderList/otoco', 'DELETE /api/v3/orderList'];
const FREE_WS = ['order.place', 'order.cancel', 'openOrders.cancelAll', 'order.cancelReplace', 'orderList.place.oco', 'orderList.place.oto', 'orderList.place.otoco', 'orderList.cancel'];

let clock = Math.floor(Date.now() / 60_000) * 60_000 + 1; // a minute's start
const now = () => clock;
let server: Server;
let base: string;

before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, now }));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
after(() => server.close());

const LIMIT = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '50000' };
const used = (r: { headers: Headers }) => Number(r.headers.get('x-mbx-used-weight-1m'));

describe('order operations weigh 0 when they succeed', () => {
  it('the route tables say so for exactly the operations Binance lists', () => {
    assert.deepEqual(REST_ROUTES.filter((r) => r.freeOnSuccess).map((r) => `${r.method} ${r.path}`).sort(), [...FREE_REST].sort());
    assert.deepEqual(Object.entries(WS_METHODS).filter(([, m]) => m.freeOnSuccess).map(([name]) => name).sort(), [...FREE_WS].sort());
  });

  it('REST: a placement, a cancel and a cancelReplace that succeed add no weight; refused ones add their weight', async () => {
    clock += 60_000;
    const rest = restClient(base, undefined, now);
    const start = used(await rest.get('/api/v3/ping')); // 1
    const placed = await rest.signed('POST', '/api/v3/order', LIMIT);
    assert.equal(placed.status, 200);
    assert.equal(used(placed), start, 'placed: weight 0');
    const replaced = await rest.signed('POST', '/api/v3/order/cancelReplace', { ...LIMIT, price: '50001', cancelReplaceMode: 'STOP_ON_FAILURE', cancelOrderId: String(placed.body.orderId) });
    assert.equal(replaced.status, 200);
    assert.equal(used(replaced), start, 'cancelReplace: weight 0');
    const canceled = await rest.signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(replaced.body.newOrderResponse.orderId) });
    assert.equal(canceled.status, 200);
    assert.equal(used(canceled), start, 'cancel: weight 0');
    const refused = await rest.signed('POST', '/api/v3/order', { ...LIMIT, price: '50000.001' });
    assert.deepEqual([refused.status, refused.body.code, used(refused)], [400, -1013, start + 1], 'a refused placement: weight 1');
    const unknown = await rest.signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: '424242' });
    assert.deepEqual([unknown.body.code, used(unknown)], [-2011, start + 2], 'a refused cancel: weight 1');
    const status = await rest.signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(placed.body.orderId) });
    assert.equal(used(status), start + 6, 'a query still weighs 4');
  });

  it('WS API: order.place that succeeds adds no weight; a refused one adds 1', async () => {
    clock += 60_000;
    const ws = await WsApiClient.open(base, now);
    try {
      const weight = (m: any) => m.rateLimits.find((l: any) => l.rateLimitType === 'REQUEST_WEIGHT').count as number;
      const start = weight(await ws.call('ping')); // the connection's 2, the ping's 1
      const placed = await ws.signed('order.place', LIMIT);
      assert.equal(placed.status, 200);
      assert.equal(weight(placed), start);
      const refused = await ws.signed('order.place', { ...LIMIT, price: '50000.001' });
      assert.equal(refused.status, 400);
      assert.equal(weight(refused), start + 1);
    } finally {
      ws.close();
    }
  });
});
