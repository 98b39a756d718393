/**
 * Order lists when a leg trades only in part (rest-api.md, "New Order list - OCO": activation of one
 * order cancels the other): the OTHER leg expires and the traded leg keeps working, on the book, with
 * its lock, until it fills or is canceled. The same for an OTOCO's pair once its working order filled.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDecimal as d, ZERO } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
import type { NewOrderRequest } from '../../src/sim/engine/types.js';
import { engineTradedAt60000 } from './specs.js';

const S = 'BTCUSDT';

const market = (): MatchingEngine => engineTradedAt60000({ a: { BTC: '10', USDT: '1000000' }, b: { BTC: '10', USDT: '1000000' } }, 'b', 'b');

const leg = (x: Partial<NewOrderRequest> & Pick<NewOrderRequest, 'type' | 'side' | 'clientOrderId'>): NewOrderRequest => ({ account: 'a', symbol: S, quantity: d('1'), ...x });

/** b buys 0.1 at 61000 (IOC): a partial fill of a's SELL at 61000. */
const partialFillAt61000 = (e: MatchingEngine) => e.placeOrder({ account: 'b', symbol: S, side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', quantity: d('0.1'), price: d('61000'), clientOrderId: 'hit' });

describe('order lists: a leg that trades in part', () => {
  it('OCO: the LIMIT_MAKER leg partly filled keeps working; the stop loss expires', () => {
    const e = market();
    const placed = e.placeOco({ account: 'a', symbol: S, listClientOrderId: 'L', above: leg({ side: 'SELL', type: 'LIMIT_MAKER', price: d('61000'), clientOrderId: 'up' }), below: leg({ side: 'SELL', type: 'STOP_LOSS', stopPrice: d('59000'), clientOrderId: 'down' }) });
    const maker = placed.list.orders.find((o) => o.type === 'LIMIT_MAKER')!;
    const stop = placed.list.orders.find((o) => o.type === 'STOP_LOSS')!;
    partialFillAt61000(e);
    const m = e.getOrder('a', S, { orderId: maker.orderId });
    assert.deepEqual([m.status, m.executedQty, m.isWorking, m.locked], ['PARTIALLY_FILLED', d('0.1'), true, d('0.9')], 'the traded leg works on');
    assert.equal(e.getOrder('a', S, { orderId: stop.orderId }).status, 'EXPIRED', 'the other leg expired');
    assert.equal(e.orderList('a', { orderListId: placed.list.orderListId }).listOrderStatus, 'ALL_DONE');
    assert.deepEqual(e.balances('a').get('BTC'), { free: d('9.0'), locked: d('0.9') }, 'only the working leg holds funds');
    assert.deepEqual(e.depth(S, 5).asks, [[d('61000'), d('0.9')]], 'its rest is on the book');
    // It fills the rest later, on its own.
    e.placeOrder({ account: 'b', symbol: S, side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', quantity: d('0.9'), price: d('61000'), clientOrderId: 'rest' });
    assert.equal(e.getOrder('a', S, { orderId: maker.orderId }).status, 'FILLED');
    assert.deepEqual(e.balances('a').get('BTC'), { free: d('9.0'), locked: ZERO });
  });

  it('OCO: a canceled partly filled leg is canceled alone (its list is done)', () => {
    const e = market();
    const placed = e.placeOco({ account: 'a', symbol: S, listClientOrderId: 'L', above: leg({ side: 'SELL', type: 'LIMIT_MAKER', price: d('61000'), clientOrderId: 'up' }), below: leg({ side: 'SELL', type: 'STOP_LOSS', stopPrice: d('59000'), clientOrderId: 'down' }) });
    partialFillAt61000(e);
    const maker = placed.list.orders.find((o) => o.type === 'LIMIT_MAKER')!;
    const canceled = e.cancelOrder('a', S, { orderId: maker.orderId });
    assert.equal(canceled.order.status, 'CANCELED');
    assert.deepEqual(e.balances('a').get('BTC'), { free: d('9.9'), locked: ZERO });
  });

  it('OTOCO: once the working order filled, a partial fill of the pair\'s limit leg expires only the stop', () => {
    const e = market();
    // Working: BUY 1 at 60000 (fills against b's ask below); pending pair: SELL LIMIT_MAKER 61000 / STOP_LOSS 59000.
    e.placeOrder({ account: 'b', symbol: S, side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: d('1'), price: d('60000'), clientOrderId: 'ask' });
    const placed = e.placeOto({
      account: 'a',
      symbol: S,
      listClientOrderId: 'L',
      working: leg({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', price: d('60000'), clientOrderId: 'w' }),
      pending: [leg({ side: 'SELL', type: 'LIMIT_MAKER', price: d('61000'), clientOrderId: 'up' }), leg({ side: 'SELL', type: 'STOP_LOSS', stopPrice: d('59000'), clientOrderId: 'down' })],
    });
    const maker = placed.list.orders.find((o) => o.clientOrderId === 'up')!;
    const stop = placed.list.orders.find((o) => o.clientOrderId === 'down')!;
    assert.equal(e.getOrder('a', S, { orderId: maker.orderId }).status, 'NEW', 'the pair went live');
    partialFillAt61000(e);
    const m = e.getOrder('a', S, { orderId: maker.orderId });
    assert.deepEqual([m.status, m.executedQty, m.isWorking], ['PARTIALLY_FILLED', d('0.1'), true]);
    assert.equal(e.getOrder('a', S, { orderId: stop.orderId }).status, 'EXPIRED');
    assert.deepEqual(e.balances('a').get('BTC'), { free: d('10'), locked: d('0.9') }, 'bought 1, sold 0.1, 0.9 still offered');
  });
});
