/**
 * Self-trade prevention in the engine, against the scenarios of Binance's STP FAQ
 * (faqs/stp_faq.md): the taker's mode decides; expired orders are EXPIRED_IN_MATCH with a
 * preventedMatchId and preventedQty; the placement lists preventedMatches; events are TRADE_PREVENTION.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDecimal as f, parseDecimal as d } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
import type { EngineEvent, NewOrderRequest, StpMode } from '../../src/sim/engine/types.js';
import { BTCUSDT } from './specs.js';

function engine(): MatchingEngine {
  const e = new MatchingEngine([{ ...BTCUSDT, minNotional: 0n }], { makerRate: 0n, takerRate: 0n });
  for (const a of ['me', 'other']) {
    e.deposit(a, 'BTC', d('100'));
    e.deposit(a, 'USDT', d('100'));
  }
  return e;
}

let n = 0;
const limit = (account: string, side: 'BUY' | 'SELL', qty: string, price: string, stp?: StpMode): NewOrderRequest => ({
  account,
  symbol: 'BTCUSDT',
  side,
  type: 'LIMIT',
  timeInForce: 'GTC',
  quantity: d(qty),
  price: d(price),
  clientOrderId: `o${++n}`,
  ...(stp ? { selfTradePreventionMode: stp } : {}),
});
const reports = (events: EngineEvent[]) => events.flatMap((ev) => (ev.kind === 'execution' ? [`${ev.order.orderId}:${ev.execution}:${ev.order.status}`] : []));

describe('self-trade prevention', () => {
  it('NONE: the orders trade', () => {
    const e = engine();
    const maker = e.placeOrder(limit('me', 'BUY', '1', '1', 'NONE')).order;
    const taker = e.placeOrder(limit('me', 'SELL', '1', '1', 'NONE'));
    assert.equal(taker.order.status, 'FILLED');
    assert.equal(e.getOrder('me', 'BTCUSDT', { orderId: maker.orderId }).status, 'FILLED');
    assert.deepEqual(taker.preventedMatches, []);
  });

  it('EXPIRE_MAKER (Binance\'s default): my resting orders expire, the taker goes on and rests (FAQ scenario B)', () => {
    const e = engine();
    const makers = [['1.2', '1.2'], ['1.3', '1.1'], ['8.1', '1']].map(([q, p]) => e.placeOrder(limit('me', 'BUY', q!, p!, 'NONE')).order);
    const taker = e.placeOrder(limit('me', 'SELL', '3', '1')); // no mode given: the default
    assert.equal(taker.order.selfTradePreventionMode, 'EXPIRE_MAKER');
    assert.equal(taker.order.status, 'NEW');
    assert.equal(taker.order.isWorking, true);
    assert.deepEqual(
      taker.preventedMatches.map((m) => [m.preventedMatchId, m.makerOrderId, f(m.price), m.makerPreventedQuantity && f(m.makerPreventedQuantity), m.takerPreventedQuantity]),
      [[0, makers[0]!.orderId, '1.2', '1.2', undefined], [1, makers[1]!.orderId, '1.1', '1.3', undefined], [2, makers[2]!.orderId, '1', '8.1', undefined]],
    );
    for (const [i, m] of makers.entries()) {
      const q = e.getOrder('me', 'BTCUSDT', { orderId: m.orderId });
      assert.deepEqual([q.status, q.preventedMatchId, f(q.preventedQty), f(q.executedQty), q.isWorking], ['EXPIRED_IN_MATCH', i, f(m.origQty), '0', false]);
    }
    const prevention = taker.events.filter((ev) => ev.kind === 'execution' && ev.execution === 'TRADE_PREVENTION');
    assert.equal(prevention.length, 3);
    const first = prevention[0]! as Extract<EngineEvent, { kind: 'execution' }>;
    assert.deepEqual([first.order.orderId, first.prevention?.counterOrderId, f(first.prevention!.lastPreventedQty), f(first.prevention!.qty), f(first.prevention!.price), f(first.prevention!.quoteQty)], [makers[0]!.orderId, taker.order.orderId, '1.2', '1.2', '1.2', '1.44']);
    assert.equal(e.balances('me').get('USDT')!.locked, 0n, 'the expired makers\' locks are released');
    assert.deepEqual(e.depth('BTCUSDT', 5).bids, []);
  });

  it('EXPIRE_TAKER: the taker expires, my resting orders stay (FAQ scenario C)', () => {
    const e = engine();
    const maker = e.placeOrder(limit('me', 'BUY', '1.2', '1.2', 'NONE')).order;
    const taker = e.placeOrder(limit('me', 'SELL', '3', '1', 'EXPIRE_TAKER'));
    assert.deepEqual([taker.order.status, taker.order.preventedMatchId, f(taker.order.preventedQty), taker.order.isWorking], ['EXPIRED_IN_MATCH', 0, '3', false]);
    assert.deepEqual(taker.preventedMatches.map((m) => [m.makerOrderId, m.takerPreventedQuantity && f(m.takerPreventedQuantity), m.makerPreventedQuantity]), [[maker.orderId, '3', undefined]]);
    assert.equal(e.getOrder('me', 'BTCUSDT', { orderId: maker.orderId }).status, 'NEW');
    assert.deepEqual(reports(taker.events), [`${taker.order.orderId}:NEW:NEW`, `${taker.order.orderId}:TRADE_PREVENTION:EXPIRED_IN_MATCH`]);
    assert.equal(e.balances('me').get('BTC')!.locked, 0n);
  });

  it('EXPIRE_BOTH: both expire with one preventedMatchId (FAQ scenario D)', () => {
    const e = engine();
    const maker = e.placeOrder(limit('me', 'BUY', '1', '1', 'NONE')).order;
    const taker = e.placeOrder(limit('me', 'SELL', '3', '1', 'EXPIRE_BOTH'));
    const m = e.getOrder('me', 'BTCUSDT', { orderId: maker.orderId });
    assert.deepEqual([taker.order.status, taker.order.preventedMatchId, f(taker.order.preventedQty)], ['EXPIRED_IN_MATCH', 0, '3']);
    assert.deepEqual([m.status, m.preventedMatchId, f(m.preventedQty)], ['EXPIRED_IN_MATCH', 0, '1']);
    assert.deepEqual(taker.preventedMatches.map((p) => [f(p.takerPreventedQuantity!), f(p.makerPreventedQuantity!)]), [['3', '1']]);
  });

  it('a market order with EXPIRE_MAKER expires my maker, then EXPIRED for liquidity (FAQ scenario F); others\' orders still trade', () => {
    const e = engine();
    const mine = e.placeOrder(limit('me', 'BUY', '1', '1', 'NONE')).order;
    const r = e.placeOrder({ account: 'me', symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: d('1'), clientOrderId: 'mkt', selfTradePreventionMode: 'EXPIRE_MAKER' });
    assert.deepEqual([r.order.status, r.order.expiryReason, f(r.order.preventedQty)], ['EXPIRED', 'INSUFFICIENT_LIQUIDITY', '0']);
    assert.equal(e.getOrder('me', 'BTCUSDT', { orderId: mine.orderId }).status, 'EXPIRED_IN_MATCH');
    e.placeOrder(limit('other', 'BUY', '1', '1'));
    assert.equal(e.placeOrder(limit('me', 'SELL', '1', '1', 'EXPIRE_BOTH')).order.status, 'FILLED', 'another account\'s order is no self-trade');
  });
});
