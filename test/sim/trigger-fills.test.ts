/**
 * How a triggered order trades and what it holds: a STOP_LOSS/TAKE_PROFIT market BUY buys its whole
 * quantity at market when the book has it (its lock is topped up to the market cost at its trigger),
 * or, if the account cannot pay for it, expires without trading (expiryReason REJECTED). That every
 * fill is a whole number of LOT_SIZE steps is checked by the property test (triggers.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDecimal as d, ZERO } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
import type { EngineEvent } from '../../src/sim/engine/types.js';
import { BTCUSDT, engineTradedAt60000 } from './specs.js';

const S = 'BTCUSDT';

/** a holds `aUsdt`; b and c trade the last price, 60000. */
const market = (aUsdt: string): MatchingEngine =>
  engineTradedAt60000({ a: { USDT: aUsdt }, b: { BTC: '10', USDT: '1000000' }, c: { BTC: '10', USDT: '1000000' } }, 'b', 'c');

/** b offers 0.01 at 61500 and 5 at 62000; c buys the 0.01: a trade at 61500, past a's stop at 61000. */
function liftTo61500(e: MatchingEngine): EngineEvent[] {
  e.placeOrder({ account: 'b', symbol: S, side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: d('0.01'), price: d('61500'), clientOrderId: 'x3' });
  e.placeOrder({ account: 'b', symbol: S, side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: d('5'), price: d('62000'), clientOrderId: 'x4' });
  return e.placeOrder({ account: 'c', symbol: S, side: 'BUY', type: 'MARKET', quantity: d('0.01'), clientOrderId: 'x5' }).events;
}

describe('triggered market orders', () => {
  it('a STOP_LOSS BUY triggered below the book buys its whole quantity at market', () => {
    const e = market('100000');
    const stop = e.placeOrder({ account: 'a', symbol: S, side: 'BUY', type: 'STOP_LOSS', quantity: d('1'), stopPrice: d('61000'), clientOrderId: 'st' });
    assert.deepEqual(e.balances('a').get('USDT'), { free: d('39000'), locked: d('61000') }, 'locked at its stop price on placement');
    const events = liftTo61500(e);
    const fills = events.flatMap((ev) => (ev.kind === 'execution' && ev.order.orderId === stop.order.orderId && ev.fill ? [ev.fill] : []));
    assert.deepEqual(fills.map((f) => [f.price, f.qty]), [[d('62000'), d('1')]], 'one fill of the whole quantity at the next level');
    const o = e.getOrder('a', S, { orderId: stop.order.orderId });
    assert.deepEqual([o.status, o.executedQty, o.cummulativeQuoteQty, o.expiryReason], ['FILLED', d('1'), d('62000'), undefined]);
    assert.deepEqual(e.balances('a').get('USDT'), { free: d('38000'), locked: ZERO }, 'paid 62000 out of 100000, nothing left locked');
    assert.deepEqual(e.balances('a').get('BTC'), { free: d('1'), locked: ZERO });
    // Its account's new balances go out too (outboundAccountPosition), though another account's order triggered it.
    const pushed = events.find((ev) => ev.kind === 'balances' && ev.account === 'a');
    assert.ok(pushed && pushed.kind === 'balances', 'a balances event for the triggered order\'s account');
    assert.deepEqual(pushed.balances.get('USDT'), { free: d('38000'), locked: ZERO });
  });

  it('one the account cannot pay for at market expires without trading, balances untouched', () => {
    const e = market('61500'); // 61000 for the lock, 500 spare: not the 62000 the market asks
    const stop = e.placeOrder({ account: 'a', symbol: S, side: 'BUY', type: 'STOP_LOSS', quantity: d('1'), stopPrice: d('61000'), clientOrderId: 'st' });
    const events = liftTo61500(e);
    const mine = events.filter((ev) => ev.kind === 'execution' && ev.order.orderId === stop.order.orderId);
    assert.deepEqual(mine.map((ev) => ev.kind === 'execution' && ev.execution), ['NEW', 'EXPIRED'], 'works, then expires: no trade');
    const o = e.getOrder('a', S, { orderId: stop.order.orderId });
    assert.deepEqual([o.status, o.executedQty, o.expiryReason], ['EXPIRED', ZERO, 'REJECTED']);
    assert.deepEqual(e.balances('a').get('USDT'), { free: d('61500'), locked: ZERO });
  });
});

describe('waiting trigger orders', () => {
  it('a trade visits only the orders it fires, oldest first, however many wait', () => {
    let t = 1_700_000_000_000;
    const e = new MatchingEngine([BTCUSDT], { makerRate: ZERO, takerRate: ZERO, now: () => (t += 1) });
    e.deposit('a', 'BTC', d('100'));
    e.deposit('a', 'USDT', d('100000000'));
    e.deposit('b', 'BTC', d('100'));
    e.deposit('b', 'USDT', d('100000000'));
    e.placeOrder({ account: 'b', symbol: S, side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: d('0.001'), price: d('60000'), clientOrderId: 'm1' });
    e.placeOrder({ account: 'b', symbol: S, side: 'BUY', type: 'MARKET', quantity: d('0.001'), clientOrderId: 'm2' });
    const far = 2000;
    for (let i = 0; i < far; i++) {
      // Far from the market on both sides: no trade below reaches them.
      e.placeOrder({ account: 'a', symbol: S, side: 'SELL', type: 'STOP_LOSS', quantity: d('0.001'), stopPrice: d(String(40000 + i)), clientOrderId: `lo${i}` });
      e.placeOrder({ account: 'a', symbol: S, side: 'BUY', type: 'STOP_LOSS', quantity: d('0.001'), stopPrice: d(String(80000 + i)), clientOrderId: `hi${i}` });
    }
    const near = [59000, 59500, 59000, 59800, 59100].map((stop, i) => e.placeOrder({ account: 'a', symbol: S, side: 'SELL', type: 'STOP_LOSS', quantity: d('0.001'), stopPrice: d(String(stop)), clientOrderId: `near${i}` }).order.orderId);
    assert.equal(e.triggers.size, 2 * far + near.length);
    e.placeOrder({ account: 'b', symbol: S, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: d('1'), price: d('59000'), clientOrderId: 'bid' });
    const before = e.triggers.visited;
    const r = e.placeOrder({ account: 'b', symbol: S, side: 'SELL', type: 'MARKET', quantity: d('0.001'), clientOrderId: 'hit', selfTradePreventionMode: 'NONE' });
    const fired = r.events.flatMap((ev) => (ev.kind === 'execution' && ev.execution === 'NEW' && ev.order.isWorking ? [ev.order.orderId] : []));
    assert.deepEqual(fired, [...near].sort((x, y) => x - y), 'the near ones fired, oldest first');
    const trades = r.events.filter((ev) => ev.kind === 'trade').length;
    const visited = e.triggers.visited - before;
    // Each fired order once, plus at most the first non-firing order of each direction per trade.
    assert.ok(visited <= near.length + 2 * trades, `visited ${visited} waiting orders for ${near.length} fired over ${trades} trades`);
    assert.equal(e.triggers.size, 2 * far);
  });

  it('a canceled or expired trigger order stops waiting at once, without a trade', () => {
    const e = market('100000');
    const stop = e.placeOrder({ account: 'a', symbol: S, side: 'BUY', type: 'STOP_LOSS', quantity: d('1'), stopPrice: d('61000'), clientOrderId: 'st' });
    assert.equal(e.triggers.size, 1);
    e.cancelOrder('a', S, { orderId: stop.order.orderId });
    assert.equal(e.triggers.size, 0, 'dropped on cancel');
    e.deposit('a', 'BTC', d('1'));
    const oco = e.placeOco({ account: 'a', symbol: S, listClientOrderId: 'L', above: { account: 'a', symbol: S, side: 'SELL', type: 'LIMIT_MAKER', quantity: d('1'), price: d('61000'), clientOrderId: 'up' }, below: { account: 'a', symbol: S, side: 'SELL', type: 'STOP_LOSS', quantity: d('1'), stopPrice: d('59000'), clientOrderId: 'down' } });
    assert.equal(e.triggers.size, 1);
    e.cancelOrderList('a', S, { orderListId: oco.list.orderListId });
    assert.equal(e.triggers.size, 0, 'dropped when its list is canceled');
  });
});
