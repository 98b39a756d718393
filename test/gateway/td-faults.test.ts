/**
 * Order entry when the exchange misbehaves (REST order path, where the sim injects faults): a 5xx
 * (the order was not placed: settled by query, Error), a late answer (the order was placed:
 * tracked, never sent twice), 429 (refused, then paused for Retry-After; cancels wait), 418 (trading stops
 * until the ban ends, BrokerState says so).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BrokerState, OrderStatus } from '../../src/model/enums.js';
import { MsgType } from '../../src/model/events.js';
import { waitFor } from '../helpers.js';
import { TdStack, stopGently, type SimAccountSpec } from '../fixtures/td-stack.js';

const REST: SimAccountSpec = { name: 'rest', apiKey: 'kfts-rest-key', secret: 'kfts-rest-secret-mnopqr' };
const TIMINGS = JSON.stringify({ unknownCheckMs: 300, unknownChecks: 2, requestTimeoutMs: 1500 });

describe('Binance TD gateway: faults on order entry', { timeout: 180_000 }, () => {
  it('5xx: Unknown, the query finds no order, Error; a late answer: Unknown or not, the order is tracked and was sent once', async () => {
    const stack = await new TdStack().start([REST]);
    await stack.addAccount('rest_acct', REST.apiKey, REST.secret, ['--order-api', 'rest']);
    const td = await stack.startTd('rest_acct', { KF_TD_TIMINGS: TIMINGS });

    await stack.admin('fail?count=1&status=503');
    const a = stack.order('rest_acct', 1, { side: 'buy', price: '50000', volume: '0.01' });
    const err = await stack.waitStatus('rest_acct', a, OrderStatus.Error);
    assert.deepEqual(stack.orders('rest_acct', a).map((o) => o.status), [OrderStatus.Pending, OrderStatus.Unknown, OrderStatus.Error]);
    assert.equal(err.error_msg, 'not placed: the exchange has no such order after an unknown outcome');
    assert.equal(stack.sim.engine.openOrders('rest').length, 0, 'not sent again');

    // Answered after the gateway gave up waiting: the exchange has it; the user stream or the query settle it.
    await stack.admin('delay?count=1&ms=3000');
    const b = stack.order('rest_acct', 2, { side: 'buy', price: '50000', volume: '0.01' });
    await stack.waitStatus('rest_acct', b, OrderStatus.Submitted);
    const log = () => readFileSync(join(stack.home, 'log', 'td_binance_rest_acct.log'), 'utf8');
    await waitFor('the request to time out', () => log().includes(`order ${b}: POST /api/v3/order: no answer within 1500 ms`), 10_000);
    const open = stack.sim.engine.openOrders('rest');
    assert.deepEqual(open.map((o) => o.clientOrderId), [`kf${b.toString(36)}`], 'one order, sent once');
    assert.ok(!stack.orders('rest_acct', b).some((o) => o.status === OrderStatus.Error));
    assert.equal(stack.orders('rest_acct', b).at(-1)!.status, OrderStatus.Submitted);
    await stopGently(td);
  });

  it('429: the order is refused, the next ones are not sent until Retry-After, then orders flow again', async () => {
    const stack = await new TdStack().start([REST]);
    await stack.addAccount('rest_acct', REST.apiKey, REST.secret, ['--order-api', 'rest']);
    const td = await stack.startTd('rest_acct', { KF_TD_TIMINGS: TIMINGS });
    await stack.admin('fail?count=1&status=429');
    const a = stack.order('rest_acct', 1, { side: 'buy', price: '50000', volume: '0.01' });
    const aErr = await stack.waitStatus('rest_acct', a, OrderStatus.Error);
    assert.equal(aErr.error_id, -1003);
    const b = stack.order('rest_acct', 2, { side: 'buy', price: '50000', volume: '0.01' });
    const bErr = await stack.waitStatus('rest_acct', b, OrderStatus.Error);
    assert.match(bErr.error_msg, /^not sent: Binance rate limit \(429\): requests paused until \d{4}-/);
    assert.equal(stack.sim.engine.openOrders('rest').length, 0);
    // Retry-After is 1 s: after it, an order goes through.
    const pausedUntil = Date.parse(/until (\S+)$/.exec(bErr.error_msg)![1]!);
    await waitFor('the pause to end', () => Date.now() > pausedUntil + 50, 5000);
    const c = stack.order('rest_acct', 3, { side: 'buy', price: '50000', volume: '0.01' });
    await stack.waitStatus('rest_acct', c, OrderStatus.Submitted);
    assert.match(readFileSync(join(stack.home, 'log', 'td_binance_rest_acct.log'), 'utf8'), /WARN .*Binance rate limit \(429 Too much request weight used; injected by the simulator\.\): pausing requests until/);
    await stopGently(td);
  });

  it('429: a cancel during the pause waits for it to end, then goes (it is not refused)', async () => {
    const stack = await new TdStack().start([REST]);
    await stack.addAccount('rest_acct', REST.apiKey, REST.secret, ['--order-api', 'rest']);
    const td = await stack.startTd('rest_acct', { KF_TD_TIMINGS: TIMINGS });
    const a = stack.order('rest_acct', 1, { side: 'buy', price: '50000', volume: '0.01' });
    await stack.waitStatus('rest_acct', a, OrderStatus.Submitted);
    // An order refused with 429 starts the pause (Retry-After 1 s); the cancel comes during it.
    await stack.admin('fail?count=1&status=429');
    const b = stack.order('rest_acct', 2, { side: 'buy', price: '50000', volume: '0.01' });
    const bErr = await stack.waitStatus('rest_acct', b, OrderStatus.Error);
    const pausedUntil = Date.parse(/until (\S+)$/.exec(bErr.error_msg)![1]!.replace(/\.$/, ''));
    stack.cancel('rest_acct', a, 1);
    await stack.waitStatus('rest_acct', a, OrderStatus.Cancelled);
    assert.ok(Date.now() >= pausedUntil, 'sent once the pause ended');
    assert.equal(stack.frames('rest_acct').filter((f) => f.type === MsgType.OrderActionError).length, 0, 'the cancel was not refused');
    assert.equal(stack.sim.engine.openOrders('rest').length, 0);
    assert.match(readFileSync(join(stack.home, 'log', 'td_binance_rest_acct.log'), 'utf8'), /cancel of order \d+ waits \d+ s for Binance's rate-limit pause to end/);
    await stopGently(td);
  });

  it('418: trading stops (BrokerState says until when, an error line names the ban\'s end), then resumes', async () => {
    const stack = await new TdStack().start([REST]);
    await stack.addAccount('rest_acct', REST.apiKey, REST.secret, ['--order-api', 'rest']);
    const td = await stack.startTd('rest_acct', { KF_TD_TIMINGS: TIMINGS });
    await stack.admin('fail?count=1&status=418');
    const a = stack.order('rest_acct', 1, { side: 'buy', price: '50000', volume: '0.01' });
    await stack.waitStatus('rest_acct', a, OrderStatus.Error);
    const banned = await waitFor('BrokerState banned', () => stack.frames('rest_acct').find((f) => f.type === MsgType.BrokerState && /banned by Binance \(418\) until/.test(f.value.message as string)));
    assert.equal(banned.value.state, BrokerState.DisConnected);
    const b = stack.order('rest_acct', 2, { side: 'buy', price: '50000', volume: '0.01' });
    assert.match((await stack.waitStatus('rest_acct', b, OrderStatus.Error)).error_msg, /^not sent: binance\/rest_acct is not ready \(DisConnected: banned by Binance/);
    assert.match(readFileSync(join(stack.home, 'log', 'td_binance_rest_acct.log'), 'utf8'), /ERROR .*Binance banned this IP until \d{4}-\d\d-\d\dT[\d:.]+Z \(418 /);
    const readies = () => stack.frames('rest_acct').filter((f) => f.type === MsgType.BrokerState && f.value.state === BrokerState.Ready).length;
    await waitFor('Ready after the ban (2 s)', () => readies() >= 2, 15_000);
    const c = stack.order('rest_acct', 3, { side: 'buy', price: '50000', volume: '0.01' });
    await stack.waitStatus('rest_acct', c, OrderStatus.Submitted);
    await stopGently(td);
  });
});
