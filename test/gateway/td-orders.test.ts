/**
 * The Binance TD gateway as a real process against the simulated exchange: Binance's order
 * lifecycle in the journal, fills once each and in order, balances equal to the exchange's, and
 * recovery after SIGKILL and after a cut user stream.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatDecimal, parseDecimal as d } from '../../src/model/decimal.js';
import { BrokerState, OrderStatus } from '../../src/model/enums.js';
import { MsgType, type OrderEvent } from '../../src/model/events.js';
import { DEMO_ACCOUNT } from '../../src/sim/sim-server.js';
import { waitFor } from '../helpers.js';
import { TAKER, TdStack, oid, stopGently, type SimAccountSpec } from '../fixtures/td-stack.js';

const CRASH: SimAccountSpec = { name: 'crash', apiKey: 'kfts-crash-key', secret: 'kfts-crash-secret-abcdef' };
const DROP: SimAccountSpec = { name: 'drop', apiKey: 'kfts-drop-key', secret: 'kfts-drop-secret-ghijkl' };
const statuses = (os: OrderEvent[]) => os.map((o) => o.status);

/** Every regular file under `dir`, recursively (not the doorbell FIFOs: reading one blocks). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const st = statSync(join(dir, f));
    return st.isDirectory() ? filesUnder(join(dir, f)) : st.isFile() ? [join(dir, f)] : [];
  });
}

/** The exchange's balances of an account, as exact decimals. */
async function simBalances(stack: TdStack, a: SimAccountSpec): Promise<Map<string, { free: bigint; locked: bigint }>> {
  const account = await stack.client(a).call<{ balances: { asset: string; free: string; locked: string }[] }>('GET', '/api/v3/account', {}, { signed: true });
  return new Map(account.balances.map((b) => [b.asset, { free: d(b.free), locked: d(b.locked) }]));
}

async function assetsEqualExchange(stack: TdStack, account: string, a: SimAccountSpec): Promise<void> {
  await waitFor(`${account}'s Asset frames equal the exchange's balances`, async () => {
    const mine = stack.assets(account);
    const theirs = await simBalances(stack, a);
    return [...theirs].every(([asset, b]) => (b.free === 0n && b.locked === 0n && !mine.has(asset)) || (mine.get(asset)?.free === b.free && mine.get(asset)?.locked === b.locked));
  });
}

describe('Binance TD gateway: orders against kfc sim', { timeout: 180_000 }, () => {
  it('writes Binance\'s lifecycle for limit and market orders: partial fills, fills, cancels, refusals; assets equal the exchange; secrets nowhere', async () => {
    const stack = await new TdStack().start();
    await stack.addAccount('my_account', DEMO_ACCOUNT.apiKey, DEMO_ACCOUNT.hmacSecret!);
    const td = await stack.startTd('my_account', {}, ['-l', 'trace']);
    const taker = stack.client(TAKER);

    // A: a limit buy rests, is partly filled, then filled.
    const a = stack.order('my_account', 1, { side: 'buy', price: '50000', volume: '0.02' });
    await stack.waitStatus('my_account', a, OrderStatus.Submitted);
    await taker.call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.005' }, { signed: true });
    await stack.waitStatus('my_account', a, OrderStatus.PartialFilledActive);
    await taker.call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.015' }, { signed: true });
    const filled = await stack.waitStatus('my_account', a, OrderStatus.Filled);
    assert.deepEqual(statuses(stack.orders('my_account', a)), [OrderStatus.Pending, OrderStatus.Submitted, OrderStatus.PartialFilledActive, OrderStatus.Filled]);
    assert.deepEqual(stack.orders('my_account', a).map((o) => formatDecimal(o.volume_traded)), ['0', '0', '0.005', '0.02'], 'cumulative volume_traded');
    const aTrades = stack.trades('my_account', a);
    assert.deepEqual(aTrades.map((t) => formatDecimal(t.volume)), ['0.005', '0.015']);
    assert.ok(aTrades.every((t) => t.price === d('50000') && t.is_maker && t.commission_asset === 'BTC'));
    assert.equal(filled.amount_traded, d('1000'));
    const exchangeA = await stack.client({ name: 'demo', apiKey: DEMO_ACCOUNT.apiKey, secret: DEMO_ACCOUNT.hmacSecret! }).call<{ orderId: number }>('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: `kf${a.toString(36)}` }, { signed: true });
    assert.equal(filled.ex_order_id, String(exchangeA.orderId));

    // B: a limit sell rests and is cancelled (the cancel has its own client id; matched on C).
    const b = stack.order('my_account', 2, { side: 'sell', price: '70000', volume: '0.01' });
    await stack.waitStatus('my_account', b, OrderStatus.Submitted);
    stack.cancel('my_account', b, 1002);
    await stack.waitStatus('my_account', b, OrderStatus.Cancelled);
    assert.deepEqual(statuses(stack.orders('my_account', b)), [OrderStatus.Pending, OrderStatus.Submitted, OrderStatus.Cancelled]);

    // C: a market buy against the taker's resting sell.
    await taker.call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', price: '65000', quantity: '0.01' }, { signed: true });
    const c = stack.order('my_account', 3, { side: 'buy', type: 'market', volume: '0.01' });
    const cFilled = await stack.waitStatus('my_account', c, OrderStatus.Filled);
    assert.equal(cFilled.amount_traded, d('650'));
    assert.deepEqual(stack.trades('my_account', c).map((t) => [formatDecimal(t.price), formatDecimal(t.volume), t.is_maker]), [['65000', '0.01', false]]);

    // D, E: refused by the exchange: Error with Binance's code and message.
    const dd = stack.order('my_account', 4, { side: 'buy', price: '1', volume: '0.01' });
    const dErr = await stack.waitStatus('my_account', dd, OrderStatus.Error);
    assert.equal(dErr.error_id, -1013);
    assert.match(dErr.error_msg, /^Filter failure: NOTIONAL/);
    const e = stack.order('my_account', 5, { side: 'buy', price: '60000', volume: '10' });
    const eErr = await stack.waitStatus('my_account', e, OrderStatus.Error);
    assert.deepEqual([eErr.error_id, eErr.error_msg], [-2010, 'Account has insufficient balance for requested action.']);

    // Cancels that cannot be done: an OrderActionError each, naming why.
    stack.cancel('my_account', oid(999), 1999);
    stack.cancel('my_account', a, 1998);
    const actionErrors = () => stack.frames('my_account').filter((f) => f.type === MsgType.OrderActionError);
    await waitFor('two OrderActionErrors', () => actionErrors().length >= 2);
    const errors = actionErrors();
    assert.deepEqual(errors.map((f) => [f.value.order_id, f.value.order_action_id, f.value.error_id]), [[oid(999), oid(1999), -2011], [a, oid(1998), -2011]]);
    assert.match(errors[0]!.value.error_msg as string, /order \d+ is unknown to binance\/my_account/);
    assert.match(errors[1]!.value.error_msg as string, /is already Filled/);

    await assetsEqualExchange(stack, 'my_account', { name: 'demo', apiKey: DEMO_ACCOUNT.apiKey, secret: DEMO_ACCOUNT.hmacSecret! });
    // Every frame written by an order carries the time of the event that caused it.
    assert.ok(stack.frames('my_account').filter((f) => f.type === MsgType.Order).every((f) => f.trigger > 0n));

    assert.equal(await stopGently(td), 0);
    const last = stack.frames('my_account').filter((f) => f.type === MsgType.BrokerState).at(-1)!;
    assert.equal(last.value.state, BrokerState.DisConnected);
    // The secret in no log line (trace level: every WS API message), journal page or output.
    const secret = Buffer.from(DEMO_ACCOUNT.hmacSecret!);
    const logText = readFileSync(join(stack.home, 'log', 'td_binance_my_account.log'));
    assert.ok(logText.includes('WS API <'), 'trace lines were written');
    for (const file of [...filesUnder(join(stack.home, 'journal')), join(stack.home, 'log', 'td_binance_my_account.log')]) assert.ok(!readFileSync(file).includes(secret), `${file} holds no secret`);
    assert.ok(!td.lines.join('\n').includes(DEMO_ACCOUNT.hmacSecret!) && !td.stderr().includes(DEMO_ACCOUNT.hmacSecret!));
  });

  it('SIGKILL while orders rest and fill, the exchange trading on: after a restart every fill appears once, open orders equal the exchange\'s', async () => {
    const stack = await new TdStack().start([CRASH]);
    await stack.addAccount('crash', CRASH.apiKey, CRASH.secret);
    let td = await stack.startTd('crash');
    const taker = stack.client(TAKER);
    const a = stack.order('crash', 1, { side: 'buy', price: '50000', volume: '0.01' });
    const b = stack.order('crash', 2, { side: 'sell', price: '70000', volume: '0.03' });
    const c = stack.order('crash', 3, { side: 'buy', price: '40000', volume: '0.01' });
    await stack.waitStatus('crash', a, OrderStatus.Submitted);
    await stack.waitStatus('crash', b, OrderStatus.Submitted);
    await stack.waitStatus('crash', c, OrderStatus.Submitted);
    // One fill of b while the gateway is up.
    await taker.call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' }, { signed: true });
    await stack.waitStatus('crash', b, OrderStatus.PartialFilledActive);

    td.proc.kill('SIGKILL');
    await td.exited;
    // Meanwhile: a fills completely (2 fills), b once more, c is cancelled by someone else; and
    // the ledger sends an order the dead gateway never reads.
    await taker.call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.004' }, { signed: true });
    await taker.call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.006' }, { signed: true });
    await taker.call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' }, { signed: true });
    await stack.client(CRASH).call('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: `kf${c.toString(36)}` }, { signed: true });
    const unsent = stack.order('crash', 4, { side: 'buy', price: '45000', volume: '0.01' });

    td = await stack.startTd('crash');
    assert.deepEqual(statuses(stack.orders('crash', a)).slice(-1), [OrderStatus.Filled]);
    assert.deepEqual(stack.trades('crash', a).map((t) => formatDecimal(t.volume)), ['0.004', '0.006'], 'a: both fills recovered, once, in order');
    assert.deepEqual(stack.trades('crash', b).map((t) => formatDecimal(t.volume)), ['0.01', '0.01'], 'b: the fill before the crash once, the one after recovered');
    assert.equal(stack.orders('crash', b).at(-1)!.status, OrderStatus.PartialFilledActive);
    assert.equal(stack.orders('crash', b).at(-1)!.volume_traded, d('0.02'));
    assert.equal(stack.orders('crash', c).at(-1)!.status, OrderStatus.Cancelled);
    const u = stack.orders('crash', unsent).at(-1)!;
    assert.deepEqual([u.status, u.error_msg], [OrderStatus.Error, 'not sent (gateway restarted)']);
    const log = readFileSync(join(stack.home, 'log', 'td_binance_crash.log'), 'utf8');
    assert.match(log, new RegExp(`order ${a}: Filled while disconnected; 2 fills recovered`));
    assert.match(log, new RegExp(`order ${b}: PartialFilledActive while disconnected; 1 fill recovered`));
    // Open orders in the journal equal the exchange's.
    const open = await stack.client(CRASH).call<{ clientOrderId: string }[]>('GET', '/api/v3/openOrders', {}, { signed: true });
    const live = new Map<bigint, number>();
    for (const f of stack.frames('crash')) if (f.type === MsgType.Order) live.set(f.value.order_id as bigint, f.value.status as number);
    const journalOpen = [...live].filter(([, s]) => s === OrderStatus.Submitted || s === OrderStatus.PartialFilledActive).map(([id]) => `kf${id.toString(36)}`);
    assert.deepEqual(journalOpen.sort(), open.map((o) => o.clientOrderId).sort());
    await assetsEqualExchange(stack, 'crash', CRASH);

    // A second restart finds nothing to correct and writes no trade twice.
    const tradesBefore = stack.trades('crash').length;
    await stopGently(td);
    td = await stack.startTd('crash');
    assert.equal(stack.trades('crash').length, tradesBefore);
    await stopGently(td);
  });

  it('a cut user stream: DisConnected, reconnect, reconciliation recovers what filled meanwhile, no trade twice', async () => {
    const stack = await new TdStack().start([DROP]);
    await stack.addAccount('drop', DROP.apiKey, DROP.secret);
    const td = await stack.startTd('drop', { KF_TD_TIMINGS: JSON.stringify({ backoffMinMs: 1500 }) });
    const taker = stack.client(TAKER);
    const a = stack.order('drop', 1, { side: 'buy', price: '50000', volume: '0.02' });
    await stack.waitStatus('drop', a, OrderStatus.Submitted);
    await taker.call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.005' }, { signed: true });
    await stack.waitStatus('drop', a, OrderStatus.PartialFilledActive);
    const readyBefore = stack.frames('drop').filter((f) => f.type === MsgType.BrokerState && f.value.state === BrokerState.Ready).length;

    await stack.admin('drop-connections');
    await waitFor('DisConnected', () => stack.frames('drop').some((f) => f.type === MsgType.BrokerState && f.value.state === BrokerState.DisConnected));
    // Filled while the gateway is away (it reconnects after 1.5 s).
    await taker.call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.015' }, { signed: true });
    await waitFor('Ready again', () => stack.frames('drop').filter((f) => f.type === MsgType.BrokerState && f.value.state === BrokerState.Ready).length > readyBefore);
    await stack.waitStatus('drop', a, OrderStatus.Filled);
    const trades = stack.trades('drop', a);
    assert.deepEqual(trades.map((t) => formatDecimal(t.volume)), ['0.005', '0.015']);
    assert.equal(new Set(trades.map((t) => t.ex_trade_id)).size, trades.length, 'no trade twice');
    assert.match(readFileSync(join(stack.home, 'log', 'td_binance_drop.log'), 'utf8'), new RegExp(`order ${a}: Filled while disconnected; 1 fill recovered`));
    // Orders work on the new session.
    const b = stack.order('drop', 2, { side: 'sell', price: '70000', volume: '0.01' });
    await stack.waitStatus('drop', b, OrderStatus.Submitted);
    await stopGently(td);
  });
});
