/**
 * What a strategy remembers of its orders stays bounded however long it trades: its open orders
 * and its last FINAL_ORDERS_KEPT final ones (the soak found every order ever sent kept).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrderStatus } from '../../src/model/enums.js';
import { Order, type OrderEvent } from '../../src/model/events.js';
import { AccountsView, FINAL_ORDERS_KEPT } from '../../src/strategy/views.js';
import { kept, retentionScale } from '../../src/util/retention.js';

function report(id: number, status: OrderStatus): OrderEvent {
  const o = Order.empty();
  Object.assign(o, { order_id: BigInt(id), source: 'binance', account: 'my_account', symbol: 'BTCUSDT', status });
  return o;
}

/** Sends order `id` and fills it, as a trading strategy's orders go. */
function trade(view: AccountsView, id: number): void {
  view.onOrder(report(id, OrderStatus.Pending));
  view.onOrder(report(id, OrderStatus.Submitted));
  view.onOrder(report(id, OrderStatus.Filled));
}

describe('a strategy\'s orders in memory', () => {
  it('keeps its open orders and only the last FINAL_ORDERS_KEPT final ones', () => {
    const view = new AccountsView();
    view.onOrder(report(1, OrderStatus.Submitted)); // open all along
    const traded = FINAL_ORDERS_KEPT * 3;
    for (let id = 2; id < 2 + traded; id++) trade(view, id);
    assert.equal(view.orders.size, FINAL_ORDERS_KEPT + 1, `orders kept after ${traded} filled orders`);
    assert.deepEqual(view.openOrders().map((o) => o.order_id), [1n]);
    assert.equal(view.orders.get(1n)?.status, OrderStatus.Submitted, 'the open order is never forgotten');
    const newest = 1 + traded;
    const oldestKept = newest - FINAL_ORDERS_KEPT + 1;
    assert.equal(view.orders.get(BigInt(oldestKept))?.status, OrderStatus.Filled, 'the last FINAL_ORDERS_KEPT final orders are kept');
    assert.equal(view.orders.has(BigInt(oldestKept - 1)), false, 'the one before them is forgotten');
  });

  it('still refuses a late report that would reopen a final order it keeps', () => {
    const view = new AccountsView();
    for (let id = 1; id <= FINAL_ORDERS_KEPT; id++) trade(view, id);
    assert.equal(view.onOrder(report(1, OrderStatus.Submitted)), false);
    assert.equal(view.orders.get(1n)?.status, OrderStatus.Filled);
    assert.deepEqual(view.openOrders(), []);
  });

  it('counts an order once however many final reports it gets', () => {
    const view = new AccountsView();
    for (let id = 1; id <= FINAL_ORDERS_KEPT; id++) trade(view, id);
    // Repeated final reports of the newest order (a duplicate fill report, a cancel answered after the fill).
    for (let i = 0; i < 10; i++) view.onOrder(report(FINAL_ORDERS_KEPT, i % 2 ? OrderStatus.Filled : OrderStatus.Cancelled));
    assert.equal(view.orders.size, FINAL_ORDERS_KEPT);
    assert.equal(view.orders.get(1n)?.status, OrderStatus.Filled, 'no other final order was pushed out by the repeats');
  });

  it('keeps the window KF_RETENTION_SCALE asks for (the soak keeps a tenth)', () => {
    const view = new AccountsView(kept(FINAL_ORDERS_KEPT, retentionScale('0.1')));
    for (let id = 1; id <= FINAL_ORDERS_KEPT; id++) trade(view, id);
    assert.equal(view.orders.size, FINAL_ORDERS_KEPT / 10);
    assert.ok(view.orders.has(BigInt(FINAL_ORDERS_KEPT)) && !view.orders.has(BigInt(FINAL_ORDERS_KEPT - FINAL_ORDERS_KEPT / 10)));
  });
});
