/**
 * Order semantics over REST a gateway depends on: Binance's per-type parameter rules (-1106,
 * -1102), order/test running the order's checks without placing, cancels answering their own
 * client id, self-trade prevention as exchangeInfo announces it, quoteOrderQty within LOT_SIZE.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startSimServer } from '../../src/sim/sim-server.js';
import { errorOf, restClient } from './sim-client.js';

let server: Server;
let api: ReturnType<typeof restClient>;
before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false }));
  api = restClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const order = (p: Record<string, string>) => api.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', ...p });

describe('sim REST orders', { timeout: 60_000 }, () => {
  it('applies Binance\'s parameter rules per order type', async () => {
    assert.deepEqual(errorOf(await order({ type: 'MARKET', quantity: '0.01', price: '1000' })), [400, -1106, "Parameter 'price' sent when not required."]);
    assert.deepEqual(errorOf(await order({ type: 'MARKET', quantity: '0.01', timeInForce: 'GTC' })), [400, -1106, "Parameter 'timeInForce' sent when not required."]);
    assert.deepEqual(errorOf(await order({ type: 'MARKET', quantity: '0.01', quoteOrderQty: '100' })), [400, -1106, "Parameter 'quoteOrderQty' sent when not required."]);
    assert.deepEqual(errorOf(await order({ type: 'MARKET' })), [400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"]);
    assert.deepEqual(errorOf(await order({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '1000', quoteOrderQty: '1' })), [400, -1106, "Parameter 'quoteOrderQty' sent when not required."]);
    assert.deepEqual(errorOf(await order({ type: 'LIMIT_MAKER', timeInForce: 'GTC', quantity: '0.01', price: '1000' })), [400, -1106, "Parameter 'timeInForce' sent when not required."]);
    assert.deepEqual(errorOf(await order({ type: 'LIMIT_MAKER', quantity: '0.01' })), [400, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."]);
  });

  it('order/test runs the order\'s checks and filters, places nothing, and computes commission rates', async () => {
    const test = (p: Record<string, string>) => api.signed('POST', '/api/v3/order/test', { symbol: 'BTCUSDT', side: 'BUY', ...p });
    assert.deepEqual(errorOf(await test({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '100.001' })), [400, -1013, 'Filter failure: PRICE_FILTER']);
    assert.deepEqual(errorOf(await test({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.00001', price: '100' })), [400, -1013, 'Filter failure: NOTIONAL']);
    assert.deepEqual(errorOf(await test({ type: 'MARKET', quantity: '0.01', price: '1' }))[1], -1106);
    assert.deepEqual(errorOf(await test({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '1000', selfTradePreventionMode: 'TRANSFER' })), [400, -1013, 'This symbol does not allow the specified self-trade prevention mode.']);
    const ok = await test({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '1000' });
    assert.deepEqual([ok.status, ok.body], [200, {}]);
    const rates = await test({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '1000', computeCommissionRates: 'true' });
    assert.deepEqual(rates.body, {
      standardCommissionForOrder: { maker: '0.00100000', taker: '0.00100000' },
      specialCommissionForOrder: { maker: '0.00000000', taker: '0.00000000' },
      taxCommissionForOrder: { maker: '0.00000000', taker: '0.00000000' },
      discount: { enabledForAccount: false, enabledForSymbol: false, discountAsset: 'BNB', discount: '0.00000000' },
    });
    assert.equal(Number(rates.headers.get('x-mbx-used-weight-1m')) - Number(ok.headers.get('x-mbx-used-weight-1m')), 20, 'weight 20 with computeCommissionRates');
    assert.deepEqual((await api.signed('GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).body, [], 'nothing placed');
    const usdt = (await api.signed('GET', '/api/v3/account')).body.balances.find((b: any) => b.asset === 'USDT');
    assert.deepEqual([usdt.free, usdt.locked], ['100000.00000000', '0.00000000']);
  });

  it('a cancel answers its own client id and the order\'s', async () => {
    const placed = (await order({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '1000', newClientOrderId: 'to-cancel' })).body;
    const named = await api.signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(placed.orderId), newClientOrderId: 'the-cancel' });
    assert.deepEqual([named.body.status, named.body.clientOrderId, named.body.origClientOrderId], ['CANCELED', 'the-cancel', 'to-cancel']);
    await order({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '1000', newClientOrderId: 'to-cancel' });
    const generated = await api.signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'to-cancel' });
    assert.equal(generated.body.origClientOrderId, 'to-cancel');
    assert.match(generated.body.clientOrderId, /^[a-zA-Z0-9-_]{22}$/);
    assert.deepEqual(errorOf(await api.signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: '1', newClientOrderId: 'bad id!' }))[1], -1100);
  });

  it('self-trade prevention: exchangeInfo\'s default EXPIRE_MAKER applies; the expired maker shows why', async () => {
    const info = (await api.get('/api/v3/exchangeInfo')).body.symbols[0];
    assert.equal(info.defaultSelfTradePreventionMode, 'EXPIRE_MAKER');
    assert.deepEqual(info.allowedSelfTradePreventionModes, ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH']);
    const maker = (await order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '70000' })).body;
    const taker = (await order({ type: 'LIMIT', timeInForce: 'GTC', quantity: '0.02', price: '70000', newOrderRespType: 'FULL' })).body;
    assert.deepEqual([taker.status, taker.selfTradePreventionMode, taker.fills], ['NEW', 'EXPIRE_MAKER', []]);
    assert.deepEqual(taker.preventedMatches, [{ preventedMatchId: 0, makerOrderId: maker.orderId, price: '70000.00000000', makerPreventedQuantity: '0.01000000' }]);
    const expired = (await api.signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(maker.orderId) })).body;
    assert.deepEqual([expired.status, expired.preventedMatchId, expired.preventedQuantity, expired.executedQty], ['EXPIRED_IN_MATCH', 0, '0.01000000', '0.00000000']);
    await api.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
  });

  it('a quoteOrderQty order executes a quantity on the LOT_SIZE grid', async () => {
    await order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.5', price: '30000.07', selfTradePreventionMode: 'NONE' });
    const r = (await order({ type: 'MARKET', quoteOrderQty: '100', selfTradePreventionMode: 'NONE' })).body;
    // 100 / 30000.07 = 0.0033333...: the step is 0.00001, so 0.00333 BTC for 99.9002331 USDT.
    assert.deepEqual([r.status, r.executedQty, r.cummulativeQuoteQty, r.origQuoteOrderQty], ['FILLED', '0.00333000', '99.90023310', '100.00000000']);
    await api.signed('DELETE', '/api/v3/openOrders', { symbol: 'BTCUSDT' });
  });
});
