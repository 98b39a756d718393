/**
 * The order tracker and the mapping, pure: executionReports in Binance's wire shape (as
 * user-data-stream.md shows them and kfc sim sends them) delivered out of order, twice, and ahead
 * of their fills; the journal must get each fill once, in cumulative order, and Order frames that
 * never run ahead of the Trade frames.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDecimal, parseDecimal as d } from '../../src/model/decimal.js';
import { OrderStatus, PriceType, Side, TimeCondition } from '../../src/model/enums.js';
import { OrderInput, type OrderEvent, type TradeEvent } from '../../src/model/events.js';
import { clientOrderIdOf } from '../../src/gateway/binance/common/ids.js';
import { MappingError, orderParams, parseExecutionReport, statusOf } from '../../src/gateway/binance/td/mapping.js';
import { OrderTracker } from '../../src/gateway/binance/td/tracker.js';

const ORDER_ID = (0x5eed0001n << 32n) | 7n;
const C = clientOrderIdOf(ORDER_ID);

/** An executionReport as Binance sends it (strings for amounts, every field). */
function report(x: string, X: string, z: string, fill?: { l: string; L: string; t: number }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const l = fill?.l ?? '0.00000000';
  const L = fill?.L ?? '0.00000000';
  return {
    e: 'executionReport', E: 1700000000000, s: 'BTCUSDT', c: C, S: 'BUY', o: 'LIMIT', f: 'GTC', q: '0.03000000', p: '50000.00000000', P: '0.00000000', F: '0.00000000', g: -1, C: '',
    x, X, r: 'NONE', i: 4242, l, z, L, n: fill ? '0.00001000' : '0', N: fill ? 'BTC' : null, T: 1700000000000, t: fill?.t ?? -1, w: true, m: true, M: true, O: 1700000000000,
    Z: formatDecimal(d(z) * 50000n), Y: fill ? formatDecimal(d(l) * 50000n) : '0', Q: '0.00000000', V: 'EXPIRE_MAKER', ...extra,
  };
}

function setup() {
  const orders: OrderEvent[] = [];
  const trades: TradeEvent[] = [];
  const unsettled: string[] = [];
  const tracker = new OrderTracker('binance', 'acct', {
    order: (o) => orders.push({ ...o }),
    trade: (t) => trades.push({ ...t }),
    unsettled: (_t, why) => unsettled.push(why),
  });
  const input = OrderInput.empty();
  Object.assign(input, { order_id: ORDER_ID, symbol: 'BTCUSDT', exchange: 'binance', source: 'binance', account: 'acct', price: d('50000'), volume: d('0.03'), price_type: PriceType.Limit, side: Side.Buy, time_condition: TimeCondition.GTC });
  const t = tracker.submit(input, 1n);
  const deliver = (raw: Record<string, unknown>) => {
    const r = parseExecutionReport(raw);
    const found = tracker.find(r) ?? tracker.adopt(r);
    if (r.fill) tracker.applyFill(found, r.fill, 2n);
    tracker.applyState(found, r, 2n);
    tracker.catchUp(found, 2n);
    return found;
  };
  return { tracker, t, orders, trades, unsettled, deliver };
}

describe('order tracker', () => {
  it('fills delivered out of order and twice: each written once, in cumulative order; Orders never ahead of Trades', () => {
    const { orders, trades, unsettled, deliver } = setup();
    const r1 = report('TRADE', 'PARTIALLY_FILLED', '0.01', { l: '0.01', L: '50000', t: 11 });
    const r2 = report('TRADE', 'PARTIALLY_FILLED', '0.02', { l: '0.01', L: '50000', t: 12 });
    const r3 = report('TRADE', 'FILLED', '0.03', { l: '0.01', L: '50000', t: 13 });
    deliver(report('NEW', 'NEW', '0'));
    deliver(r3);
    deliver(r2);
    assert.equal(trades.length, 0, 'nothing written while the first fill is missing');
    assert.ok(unsettled.length > 0, 'the gap asks for settling');
    deliver(r1);
    deliver(r2);
    deliver(r1);
    assert.deepEqual(trades.map((t) => t.ex_trade_id), ['11', '12', '13']);
    assert.deepEqual(orders.map((o) => [o.status, formatDecimal(o.volume_traded)]), [
      [OrderStatus.Pending, '0'],
      [OrderStatus.Submitted, '0'],
      [OrderStatus.PartialFilledActive, '0.01'],
      [OrderStatus.PartialFilledActive, '0.02'],
      [OrderStatus.Filled, '0.03'],
    ]);
    assert.equal(orders.at(-1)!.amount_traded, d('1500'));
    assert.equal(orders.at(-1)!.ex_order_id, '4242');
  });

  it('a status ahead of its fills waits for them; a late NEW or a second final changes nothing', () => {
    const { orders, trades, deliver } = setup();
    deliver(report('TRADE', 'PARTIALLY_FILLED', '0.01', { l: '0.01', L: '50000', t: 21 }));
    // A cancel that says 0.02 executed: the second fill has not arrived yet.
    deliver(report('CANCELED', 'CANCELED', '0.02', undefined, { c: 'cancel-own-id', C }));
    assert.equal(orders.at(-1)!.status, OrderStatus.PartialFilledActive);
    deliver(report('TRADE', 'PARTIALLY_FILLED', '0.02', { l: '0.01', L: '50000', t: 22 }));
    assert.deepEqual([orders.at(-1)!.status, formatDecimal(orders.at(-1)!.volume_traded)], [OrderStatus.PartialFilledNotActive, '0.02']);
    const n = orders.length;
    deliver(report('NEW', 'NEW', '0'));
    deliver(report('CANCELED', 'CANCELED', '0.02', undefined, { c: 'other', C }));
    assert.equal(orders.length, n, 'no frame for stale or repeated reports');
    assert.equal(trades.length, 2);
  });

  it('expiry and self-trade prevention end Cancelled with the reason; orders of other clients are adopted with order_id 0', () => {
    const a = setup();
    a.deliver(report('NEW', 'NEW', '0'));
    a.deliver(report('TRADE_PREVENTION', 'EXPIRED_IN_MATCH', '0'));
    assert.deepEqual([a.orders.at(-1)!.status, a.orders.at(-1)!.error_msg], [OrderStatus.Cancelled, 'expired in match: STP EXPIRE_MAKER']);
    const b = setup();
    const foreign = b.deliver(report('TRADE', 'FILLED', '0.03', { l: '0.03', L: '50000', t: 31 }, { c: 'web_abc123', i: 999 }));
    assert.equal(foreign.orderId, 0n);
    assert.deepEqual(b.trades.map((t) => [t.order_id, t.ex_order_id, t.ex_trade_id]), [[0n, '999', '31']]);
    assert.equal(b.orders.at(-1)!.status, OrderStatus.Filled);
    assert.equal(statusOf({ ...parseExecutionReport(report('EXPIRED', 'EXPIRED', '0.01')), reason: 'INSUFFICIENT_LIQUIDITY' }).message, 'expired: INSUFFICIENT_LIQUIDITY');
  });

  it('untrusted reports: a bad field is a MappingError naming it; inputs that cannot be sent say why', () => {
    assert.throws(() => parseExecutionReport(report('TRADE', 'FILLED', '0.01', { l: '0.01', L: '50000', t: 1 }, { z: '1e3' })), (e: unknown) => e instanceof MappingError && /^z: "1e3" is not an exact decimal/.test(e.message));
    assert.throws(() => parseExecutionReport({ ...report('NEW', 'NEW', '0'), i: 'x' }), (e: unknown) => e instanceof MappingError && e.message === 'i: expected an integer');
    assert.throws(() => parseExecutionReport(report('TRADE', 'FILLED', '0.01', { l: '0.01', L: '5', t: -1 })), (e: unknown) => e instanceof MappingError && /t: a TRADE report without a trade id/.test(e.message));
    const input = OrderInput.empty();
    Object.assign(input, { order_id: ORDER_ID, symbol: 'BTCUSDT', price_type: PriceType.Market, side: Side.Buy });
    assert.throws(() => orderParams(input, C), /volume: a market order needs a volume or a quote_volume above 0/);
    input.quote_volume = d('100');
    assert.deepEqual(orderParams(input, C), { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: '100', newClientOrderId: C, newOrderRespType: 'FULL' });
    Object.assign(input, { price_type: PriceType.Limit, volume: d('0.5'), price: d('60000.1'), time_condition: TimeCondition.IOC });
    assert.deepEqual(orderParams(input, C), { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', quantity: '0.5', price: '60000.1', newClientOrderId: C, newOrderRespType: 'FULL' });
  });
});

describe('order tracker memory', () => {
  it('keeps the finished orders its window allows (KF_RETENTION_SCALE shrinks it), and every live one', () => {
    const tracker = new OrderTracker('binance', 'acct', { order: () => {}, trade: () => {}, unsettled: () => {} }, 5);
    const submit = (n: number) => {
      const input = OrderInput.empty();
      Object.assign(input, { order_id: ORDER_ID + BigInt(n), symbol: 'BTCUSDT', exchange: 'binance', source: 'binance', account: 'acct', price: d('50000'), volume: d('0.03'), price_type: PriceType.Limit, side: Side.Buy, time_condition: TimeCondition.GTC });
      tracker.submit(input, 1n);
      return clientOrderIdOf(ORDER_ID + BigInt(n));
    };
    const live = submit(0);
    for (let n = 1; n <= 20; n++) {
      const r = parseExecutionReport(report('CANCELED', 'CANCELED', '0', undefined, { c: submit(n), i: 5000 + n }));
      const t = tracker.find(r)!;
      tracker.applyState(t, r, 2n);
    }
    const kept = [...tracker.all()];
    assert.equal(kept.length, 6, 'the live order and the last 5 finished');
    assert.ok(kept.some((t) => t.clientOrderId === live && t.order.status !== OrderStatus.Cancelled));
    assert.deepEqual(kept.filter((t) => t.order.status === OrderStatus.Cancelled).map((t) => t.clientOrderId), [16, 17, 18, 19, 20].map((n) => clientOrderIdOf(ORDER_ID + BigInt(n))));
  });
});
