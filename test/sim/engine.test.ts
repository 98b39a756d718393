import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDecimal as f, parseDecimal as d } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
import { ExchangeError, type NewOrderRequest } from '../../src/sim/engine/types.js';
import { BTCUSDT } from './specs.js';


function engine(): MatchingEngine {
  let t = 1_700_000_000_000;
  const e = new MatchingEngine([BTCUSDT], { makerRate: d('0.001'), takerRate: d('0.002'), now: () => t++ });
  for (const a of ['alice', 'bob', 'carol']) {
    e.deposit(a, 'BTC', d('10'));
    e.deposit(a, 'USDT', d('1000000'));
  }
  return e;
}

let cid = 0;
function order(account: string, side: 'BUY' | 'SELL', qty: string, price?: string, extra: Partial<NewOrderRequest> = {}): NewOrderRequest {
  return {
    account,
    symbol: 'BTCUSDT',
    side,
    type: price === undefined ? 'MARKET' : 'LIMIT',
    timeInForce: 'GTC',
    quantity: d(qty),
    ...(price !== undefined ? { price: d(price) } : {}),
    clientOrderId: `c${++cid}`,
    ...extra,
  };
}

const bal = (e: MatchingEngine, account: string, asset: string) => {
  const b = e.balances(account).get(asset)!;
  return `${f(b.free)}/${f(b.locked)}`;
};

function rejects(fn: () => unknown, code: number, msg: string): void {
  assert.throws(fn, (err: unknown) => err instanceof ExchangeError && err.code === code && err.message === msg);
}

describe('matching engine', () => {
  it('matches by price, then time', () => {
    const e = engine();
    const a1 = e.placeOrder(order('alice', 'SELL', '1', '101')).order;
    const b1 = e.placeOrder(order('bob', 'SELL', '1', '100')).order;
    const a2 = e.placeOrder(order('alice', 'SELL', '1', '100')).order;
    const r = e.placeOrder(order('carol', 'BUY', '2.5', '101'));
    assert.deepEqual(r.fills.map((x) => [f(x.price), f(x.qty)]), [['100', '1'], ['100', '1'], ['101', '0.5']]);
    assert.equal(e.getOrder('bob', 'BTCUSDT', { orderId: b1.orderId }).status, 'FILLED'); // earlier at 100
    assert.equal(e.getOrder('alice', 'BTCUSDT', { orderId: a2.orderId }).status, 'FILLED');
    const rest = e.getOrder('alice', 'BTCUSDT', { orderId: a1.orderId });
    assert.equal(rest.status, 'PARTIALLY_FILLED');
    assert.equal(f(rest.executedQty), '0.5');
    assert.equal(r.order.status, 'FILLED');
    assert.equal(f(r.order.cummulativeQuoteQty), '250.5');
    assert.deepEqual(e.depth('BTCUSDT', 5).asks.map(([p, q]) => [f(p), f(q)]), [['101', '0.5']]);
  });

  it('locks on entry, refunds price improvement, settles with maker/taker commission, releases on cancel', () => {
    const e = engine();
    const sell = e.placeOrder(order('alice', 'SELL', '0.5', '60000')).order;
    assert.equal(bal(e, 'alice', 'BTC'), '9.5/0.5');
    const buy = e.placeOrder(order('bob', 'BUY', '1', '60010')).order; // locks 60010, pays 60000 for 0.5
    assert.equal(buy.status, 'PARTIALLY_FILLED');
    // bob: paid 30000, still locks 0.5 x 60010 = 30005 for the rest; received 0.5 BTC less 0.2% taker fee
    assert.equal(bal(e, 'bob', 'USDT'), `${f(d('1000000') - d('30000') - d('30005'))}/30005`);
    assert.equal(bal(e, 'bob', 'BTC'), '10.499/0');
    // alice (maker): received 30000 less 0.1% = 29970
    assert.equal(bal(e, 'alice', 'USDT'), '1029970/0');
    assert.equal(bal(e, 'alice', 'BTC'), '9.5/0');
    const canceled = e.cancelOrder('bob', 'BTCUSDT', { orderId: buy.orderId });
    assert.equal(canceled.order.status, 'CANCELED');
    assert.equal(bal(e, 'bob', 'USDT'), '970000/0');
    const trades = e.myTrades('alice', 'BTCUSDT');
    assert.equal(trades.length, 1);
    assert.deepEqual([f(trades[0]!.commission), trades[0]!.commissionAsset, trades[0]!.isMaker, trades[0]!.orderId], ['30', 'USDT', true, sell.orderId]);
    assert.equal(f(e.fees.get('BTC')!), '0.001');
  });

  it('IOC expires the rest; FOK fills all or nothing; LIMIT_MAKER never takes', () => {
    const e = engine();
    e.placeOrder(order('alice', 'SELL', '1', '100'));
    const ioc = e.placeOrder(order('bob', 'BUY', '3', '100', { timeInForce: 'IOC' }));
    assert.equal(ioc.order.status, 'EXPIRED');
    assert.equal(f(ioc.order.executedQty), '1');
    assert.equal(bal(e, 'bob', 'USDT'), '999900/0', 'the unfilled part is unlocked');
    e.placeOrder(order('alice', 'SELL', '1', '100'));
    const fokNo = e.placeOrder(order('bob', 'BUY', '2', '100', { timeInForce: 'FOK' }));
    assert.equal(fokNo.order.status, 'EXPIRED');
    assert.equal(fokNo.fills.length, 0);
    assert.equal(bal(e, 'bob', 'USDT'), '999900/0');
    const fokYes = e.placeOrder(order('bob', 'BUY', '1', '100', { timeInForce: 'FOK' }));
    assert.equal(fokYes.order.status, 'FILLED');
    e.placeOrder(order('alice', 'SELL', '1', '105'));
    rejects(() => e.placeOrder(order('bob', 'BUY', '1', '105', { type: 'LIMIT_MAKER' })), -2010, 'Order would immediately match and take.');
    const maker = e.placeOrder(order('bob', 'BUY', '1', '104', { type: 'LIMIT_MAKER' }));
    assert.equal(maker.order.status, 'NEW');
    assert.equal(maker.order.isWorking, true);
  });

  it('market orders by quantity and by quoteOrderQty', () => {
    const e = engine();
    e.placeOrder(order('alice', 'SELL', '1', '100'));
    e.placeOrder(order('alice', 'SELL', '1', '110'));
    const byQty = e.placeOrder(order('bob', 'BUY', '1.5'));
    assert.equal(byQty.order.status, 'FILLED');
    assert.equal(f(byQty.order.cummulativeQuoteQty), '155');
    const byQuote = e.placeOrder({ ...order('carol', 'BUY', '0'), quantity: undefined, quoteOrderQty: d('27.5') });
    assert.equal(byQuote.order.status, 'FILLED');
    assert.equal(f(byQuote.order.executedQty), '0.25');
    assert.equal(f(byQuote.order.cummulativeQuoteQty), '27.5');
    assert.equal(f(byQuote.order.origQuoteOrderQty), '27.5');
    assert.equal(bal(e, 'carol', 'USDT'), '999972.5/0');
    const empty = e.placeOrder(order('bob', 'SELL', '0.1'));
    assert.equal(empty.order.status, 'EXPIRED'); // no bids at all
  });

  it('checks filters with Binance\'s -1013 messages', () => {
    const e = engine();
    rejects(() => e.placeOrder(order('bob', 'BUY', '1', '100.001')), -1013, 'Filter failure: PRICE_FILTER');
    rejects(() => e.placeOrder(order('bob', 'BUY', '1', '0')), -1013, 'Filter failure: PRICE_FILTER');
    rejects(() => e.placeOrder(order('bob', 'BUY', '0.000001', '100')), -1013, 'Filter failure: LOT_SIZE');
    rejects(() => e.placeOrder(order('bob', 'BUY', '9001', '100')), -1013, 'Filter failure: LOT_SIZE');
    rejects(() => e.placeOrder(order('bob', 'BUY', '0.01', '100')), -1013, 'Filter failure: NOTIONAL'); // 1 USDT < 5
  });

  it('rejects what Binance rejects, with its codes', () => {
    const e = engine();
    rejects(() => e.placeOrder({ ...order('bob', 'BUY', '1', '100'), symbol: 'NOPE' }), -1121, 'Invalid symbol.');
    rejects(() => e.placeOrder(order('bob', 'BUY', '20', '100000')), -2010, 'Account has insufficient balance for requested action.');
    const first = e.placeOrder({ ...order('bob', 'BUY', '1', '100'), clientOrderId: 'same' });
    rejects(() => e.placeOrder({ ...order('bob', 'BUY', '1', '100'), clientOrderId: 'same' }), -2010, 'Duplicate order sent.');
    rejects(() => e.cancelOrder('bob', 'BTCUSDT', { orderId: 999 }), -2011, 'Unknown order sent.');
    rejects(() => e.cancelOrder('alice', 'BTCUSDT', { orderId: first.order.orderId }), -2011, 'Unknown order sent.'); // not hers
    rejects(() => e.getOrder('bob', 'BTCUSDT', { orderId: 999 }), -2013, 'Order does not exist.');
    assert.equal(e.getOrder('bob', 'BTCUSDT', { origClientOrderId: 'same' }).orderId, first.order.orderId);
    assert.equal(e.openOrders('bob').length, 1);
  });

  it('emits execution reports, book changes, trades and balances in Binance\'s order', () => {
    const e = engine();
    e.placeOrder(order('alice', 'SELL', '1', '100'));
    const r = e.placeOrder(order('bob', 'BUY', '1', '100'));
    assert.deepEqual(
      r.events.map((ev) => (ev.kind === 'execution' ? `${ev.execution}:${ev.order.account}` : ev.kind === 'balances' ? `balances:${ev.account}` : ev.kind)),
      ['NEW:bob', 'book', 'trade', 'TRADE:bob', 'TRADE:alice', 'balances:bob', 'balances:alice'],
    );
  });
  // The money invariants over random orders, after every operation: engine-money.test.ts.
});
