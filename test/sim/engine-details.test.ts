/**
 * Engine details a gateway depends on: bounded windows of finished orders and trades (and what
 * stays findable), cancels that carry their own client id, quoteOrderQty within LOT_SIZE, and
 * market NOTIONAL at the average price.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDecimal as f, parseDecimal as d } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
import { ExchangeError, type NewOrderRequest } from '../../src/sim/engine/types.js';
import { BTCUSDT } from './specs.js';

let n = 0;
const order = (account: string, side: 'BUY' | 'SELL', qty: string, price?: string, extra: Partial<NewOrderRequest> = {}): NewOrderRequest => ({
  account,
  symbol: 'BTCUSDT',
  side,
  type: price === undefined ? 'MARKET' : 'LIMIT',
  ...(price === undefined ? {} : { timeInForce: 'GTC' as const, price: d(price) }),
  quantity: d(qty),
  clientOrderId: `d${++n}`,
  ...extra,
});
const rejects = (fn: () => unknown, code: number, msg: string) => assert.throws(fn, (err: unknown) => err instanceof ExchangeError && err.code === code && err.message === msg);

function engine(opts: { finishedOrders?: number; trades?: number; now?: () => number } = {}): MatchingEngine {
  const e = new MatchingEngine([BTCUSDT], { makerRate: 0n, takerRate: 0n, retention: { finishedOrders: opts.finishedOrders ?? 5000, trades: opts.trades ?? 5000 }, ...(opts.now ? { now: opts.now } : {}) });
  for (const a of ['alice', 'bob']) {
    e.deposit(a, 'BTC', d('1000'));
    e.deposit(a, 'USDT', d('10000000'));
  }
  return e;
}

describe('engine details', () => {
  it('keeps finished orders and trades in bounded windows per account; open orders are always found', () => {
    const e = engine({ finishedOrders: 10, trades: 6 });
    const resting = e.placeOrder(order('alice', 'BUY', '1', '100', { clientOrderId: 'keep-me' })).order;
    const first = e.placeOrder(order('bob', 'BUY', '1', '90')).order;
    e.cancelOrder('bob', 'BTCUSDT', { orderId: first.orderId });
    for (let i = 0; i < 50; i++) {
      e.placeOrder(order('bob', 'SELL', '0.1', '200', { clientOrderId: `s${i}` }));
      e.placeOrder(order('alice', 'BUY', '0.1', '200', { clientOrderId: `b${i}` })); // fills bob's sell
    }
    const kept = e.retained;
    assert.ok(kept.known <= 1 + 2 * 10, `known orders ${kept.known}`);
    assert.ok(kept.clientIds <= kept.known, `client ids ${kept.clientIds}`);
    assert.equal(kept.trades, 2 * 6);
    assert.equal(e.myTrades('bob', 'BTCUSDT').length, 6);
    assert.deepEqual(e.myTrades('bob', 'BTCUSDT').map((t) => t.orderId), e.myTrades('bob', 'BTCUSDT').map((t) => t.orderId).sort((a, b) => a - b), 'oldest first');
    rejects(() => e.getOrder('bob', 'BTCUSDT', { orderId: first.orderId }), -2013, 'Order does not exist.'); // fell out of the window
    rejects(() => e.getOrder('bob', 'BTCUSDT', { origClientOrderId: 's0' }), -2013, 'Order does not exist.');
    assert.equal(e.getOrder('bob', 'BTCUSDT', { origClientOrderId: 's49' }).status, 'FILLED', 'the latest are kept');
    assert.equal(e.getOrder('alice', 'BTCUSDT', { origClientOrderId: 'keep-me' }).orderId, resting.orderId, 'an open order never falls out');
  });

  it('a cancel carries its own client id; the order keeps its own', () => {
    const e = engine();
    const o = e.placeOrder(order('alice', 'BUY', '1', '100', { clientOrderId: 'mine' })).order;
    const c = e.cancelOrder('alice', 'BTCUSDT', { origClientOrderId: 'mine' }, 'cancel-1');
    assert.equal(c.cancelClientOrderId, 'cancel-1');
    const report = c.events.find((ev) => ev.kind === 'execution');
    assert.ok(report?.kind === 'execution' && report.execution === 'CANCELED' && report.cancelClientOrderId === 'cancel-1' && report.order.clientOrderId === 'mine');
    assert.equal(e.getOrder('alice', 'BTCUSDT', { orderId: o.orderId }).clientOrderId, 'mine');
    const generated = e.cancelOrder('alice', 'BTCUSDT', { orderId: e.placeOrder(order('alice', 'BUY', '1', '100')).order.orderId }).cancelClientOrderId;
    assert.match(generated, /^[a-zA-Z0-9-_]{22}$/);
  });

  it('quoteOrderQty executes a quantity within LOT_SIZE (step from minQty, at most maxQty)', () => {
    const spec = { ...BTCUSDT, minQty: d('0.00015'), stepSize: d('0.0001'), maxQty: d('0.5'), minNotional: d('1') };
    const e = new MatchingEngine([spec], { makerRate: 0n, takerRate: 0n });
    e.deposit('alice', 'BTC', d('10'));
    e.deposit('bob', 'USDT', d('1000000'));
    for (let i = 0; i < 5; i++) e.placeOrder(order('alice', 'SELL', '0.45005', '100'));
    const quote = (q: string) => e.placeOrder({ ...order('bob', 'BUY', '0'), quantity: undefined, quoteOrderQty: d(q) });
    const r = quote('10.03'); // 0.1003 BTC at 100; LOT_SIZE allows 0.00015 + k x 0.0001: 0.10025
    assert.deepEqual([r.order.status, f(r.order.executedQty), f(r.order.origQty), f(r.order.cummulativeQuoteQty)], ['FILLED', '0.10025', '0.10025', '10.025']);
    assert.equal(f(e.balances('bob').get('USDT')!.free), f(d('1000000') - d('10.025')));
    assert.equal(f(quote('1000').order.executedQty), '0.49995', 'capped at maxQty, on the step grid');
    rejects(() => quote('0.01'), -1013, 'Filter failure: NOTIONAL');
    const thin = new MatchingEngine([spec], { makerRate: 0n, takerRate: 0n });
    thin.deposit('bob', 'USDT', d('100'));
    rejects(() => thin.placeOrder({ ...order('bob', 'BUY', '0'), quantity: undefined, quoteOrderQty: d('5') }), -2010, 'Order book liquidity is less than symbol minimum quantity.');
  });

  it('checks a market order\'s NOTIONAL at the 5-minute average price, not the last one', () => {
    let t = 1_700_000_000_000;
    const e = engine({ now: () => t });
    e.placeOrder(order('alice', 'SELL', '10', '100'));
    e.placeOrder(order('bob', 'BUY', '10', '100')); // 10 BTC at 100
    e.placeOrder(order('alice', 'SELL', '0.5', '10'));
    e.placeOrder(order('bob', 'BUY', '0.5', '10')); // a small trade at 10: the last price
    const avg = e.avgPrice('BTCUSDT');
    assert.equal(f(avg.price), '95.71428571'); // (1000 + 5) / 10.5
    assert.equal(avg.mins, 5);
    e.placeOrder(order('alice', 'BUY', '1', '50'));
    // 0.1 BTC: at the last price (10) it is 1 USDT, under the minimum 5; at the average it is 9.57.
    assert.equal(e.placeOrder(order('bob', 'SELL', '0.1')).order.status, 'FILLED');
    t += 6 * 60_000; // the window passes: the average falls back to the last trade price (50)
    assert.equal(f(e.avgPrice('BTCUSDT').price), '50');
    rejects(() => e.placeOrder(order('bob', 'SELL', '0.09')), -1013, 'Filter failure: NOTIONAL');
  });
});
