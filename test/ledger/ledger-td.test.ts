/**
 * The ledger between a strategy and a real TD on kfc sim (real master, ledger, TD processes; the
 * exchange in this process, so the test sees every order it receives): orders that fit go through
 * and fill and the account's book equals the exchange's GET /account to the last digit; an order
 * beyond the free balance never reaches the exchange; a ledger killed with SIGKILL rebuilds the same
 * books; a halt with --cancel cancels at the exchange and survives a restart.
 */
import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { historyDbPath } from '../../src/ledger/history-db.js';
import { riskSettingsPath } from '../../src/ledger/settings.js';
import { parseDecimal as d } from '../../src/model/decimal.js';
import { runFixture } from '../fixtures/child.js';
import { ACCT, apiBooks, exchangeBalances, ledgerBalances, orderLog, send, type BooksJson } from '../fixtures/ledger-books.js';
import { kfcProcess, kfcRun } from '../fixtures/kfc.js';
import { TAKER, TdStack } from '../fixtures/td-stack.js';
import { waitFor } from '../helpers.js';

const orderOf = (books: BooksJson, id: string) => books.orders.find((o) => o.orderId === id);
const without = ({ updatedAt: _, ...rest }: BooksJson) => rest;

describe('ledger with a real TD on kfc sim', { timeout: 240_000 }, () => {
  it('routes what fits, refuses what does not before the exchange, rebuilds the same books after SIGKILL, cancels and keeps a halt across restarts', async () => {
    const stack = await new TdStack().start([ACCT]);
    const log = orderLog(stack);
    await stack.addAccount('acct', ACCT.apiKey, ACCT.secret);
    // Orders up to 100 000 USDT (the default limit is 10 000): balance is what stops them here.
    mkdirSync(dirname(riskSettingsPath(stack.home)), { recursive: true });
    writeFileSync(riskSettingsPath(stack.home), JSON.stringify({ limits: { maxOrderNotional: '100000', maxPositionNotional: '1000000' } }));
    let ledger = kfcProcess(['ledger'], stack.env);
    stack.children.push(ledger);
    await ledger.line(/system\/service\/ledger\/live ready/);
    const td = await stack.startTd('acct');
    const s1 = runFixture('fake-strategy.ts', ['s1'], stack.env);
    stack.children.push(s1);
    await s1.line(/^ready$/);
    await send(s1, { addAccount: ['binance', 'acct'] }, /^ok$/);
    await waitFor('the account Ready in the ledger', async () => (await apiBooks(stack)).accounts.find((a) => a.account === 'binance_acct')?.brokerState === 'Ready');

    // An order that fits: routed, resting, then filled by the taker.
    const buy = (await send(s1, { order: { price: '60000', volume: '0.01' } }, /^order \d+$/)).split(' ')[1]!;
    await waitFor('the buy resting', async () => orderOf(await apiBooks(stack), buy)?.status === 'Submitted');
    assert.equal(log.filter((r) => r.account === ACCT.name).length, 1);
    await stack.client(TAKER).call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' }, { signed: true });
    await waitFor('the buy filled', async () => orderOf(await apiBooks(stack), buy)?.status === 'Filled');
    await waitFor('the ledger\'s balances equal GET /account', async () => {
      const [mine, theirs] = [ledgerBalances(await apiBooks(stack), 'binance_acct'), await exchangeBalances(stack, ACCT)];
      return JSON.stringify(mine) === JSON.stringify(theirs) ? mine : undefined;
    });
    const fee = d('0.01') / 1000n; // 0.1% in BTC, the received asset
    assert.deepEqual(ledgerBalances(await apiBooks(stack), 'binance_acct'), { BTC: ['2.00999000', '0.00000000'], ETH: ['20.00000000', '0.00000000'], USDT: ['99400.00000000', '0.00000000'] });
    assert.equal(fee, d('0.00001'));

    // Beyond the free balance: refused with the amounts, and the exchange never hears of it.
    const big = (await send(s1, { order: { price: '60000', volume: '1.7' } }, /^order \d+$/)).split(' ')[1]!;
    const refused = await waitFor('the refusal', async () => orderOf(await apiBooks(stack), big));
    assert.equal(refused.status, 'Error');
    assert.match(refused.error, /^insufficient balance: need 102000\.00000000 USDT, free 99400\.00000000$/);
    // Two orders that fit one at a time but not together: the second is refused before the first is acknowledged.
    const before = s1.lines.length;
    s1.proc.stdin.write(`${JSON.stringify({ order: { price: '60000', volume: '1' } })}\n${JSON.stringify({ order: { price: '60000', volume: '1' } })}\n`);
    const [first, second] = await waitFor('both ids', () => {
      const ids = s1.lines.slice(before).filter((l) => l.startsWith('order ')).map((l) => l.slice(6));
      return ids.length === 2 ? ids : undefined;
    });
    await waitFor('both decided', async () => {
      const b = await apiBooks(stack);
      return orderOf(b, first!)?.status === 'Submitted' && orderOf(b, second!)?.status === 'Error';
    });
    assert.match(orderOf(await apiBooks(stack), second!)!.error, /^insufficient balance: need 60000\.00000000 USDT, free 39400\.00000000( \(60000\.00000000 held by orders not yet confirmed\))?$/);
    assert.equal(log.filter((r) => r.account === ACCT.name).length, 2, 'the exchange received only the orders that fit');

    // SIGKILL mid-session (an order resting): the restarted ledger rebuilds the same books.
    const published = await apiBooks(stack);
    const kept = without(published);
    ledger.proc.kill('SIGKILL');
    await ledger.exited;
    ledger = kfcProcess(['ledger'], stack.env);
    stack.children.push(ledger);
    await ledger.line(/ledger: replayed \d+ frames/);
    await waitFor('the rebuilt books published', async () => (await apiBooks(stack)).updatedAt !== published.updatedAt);
    assert.deepEqual(without(await apiBooks(stack)), kept);

    // The kill switch with --cancel: the resting order is cancelled at the exchange; the halt survives a restart.
    const misspelt = await kfcRun(['ledger', 'halt', '--account', 'acct'], stack.env);
    assert.equal(misspelt.status, 2);
    assert.match(misspelt.stderr, /^kfc: no account acct in .*: did you mean binance_acct\? accounts are named <source>_<name>/);
    const halt = await kfcRun(['ledger', 'halt', '--account', 'binance_acct', '--cancel', '--reason', 'test'], stack.env);
    assert.equal(halt.status, 0, halt.stderr);
    await waitFor('the resting order cancelled at the exchange', async () => (await stack.client(ACCT).call<unknown[]>('GET', '/api/v3/openOrders', {}, { signed: true })).length === 0);
    await waitFor('the cancel in the books', async () => orderOf(await apiBooks(stack), first!)?.status === 'Cancelled');
    ledger.proc.kill('SIGKILL');
    await ledger.exited;
    ledger = kfcProcess(['ledger'], stack.env);
    stack.children.push(ledger);
    await ledger.line(/ledger: replayed .* 1 halts/);
    const halted = (await send(s1, { order: { price: '60000', volume: '0.01' } }, /^order \d+$/)).split(' ')[1]!;
    const refusedHalted = await waitFor('the refusal while halted', async () => orderOf(await apiBooks(stack), halted));
    assert.match(refusedHalted.error, /^trading halted for account binance_acct \(test\): only cancels are accepted/);
    assert.equal(log.filter((r) => r.account === ACCT.name).length, 2);
    await waitFor('the ledger\'s balances still equal GET /account', async () => JSON.stringify(ledgerBalances(await apiBooks(stack), 'binance_acct')) === JSON.stringify(await exchangeBalances(stack, ACCT)));
    assert.equal((await kfcRun(['shutdown'], stack.env)).status, 0);
    for (const p of [s1, td, ledger]) assert.equal((await p.exited).code, 0, p.stderr().slice(-500));

    // The history in SQLite (written by the ledger's child, across its restarts): the fill, the refusal, the balances.
    assert.equal(statSync(historyDbPath(stack.home)).mode & 0o777, 0o600);
    const history = async (what: string, ...args: string[]) => {
      const r = await kfcRun(['ledger', 'history', what, '--json', ...args], stack.env);
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, string>[];
    };
    // The writer finishes its last batch on its own after the ledger's stop: wait for the last order (the refusal while halted).
    await waitFor('the history complete', async () => (await history('orders', '--account', 'binance_acct')).some((o) => o.order_id === halted), 20_000, 100);
    const trades = await history('trades', '--strategy', 's1');
    assert.deepEqual(trades.map((t) => [t.order_id, t.side, t.price, t.volume, t.amount, t.commission, t.commission_asset]), [[buy, 'Buy', '60000.00000000', '0.01000000', '600.00000000', '0.00001000', 'BTC']]);
    const orders = await history('orders', '--account', 'binance_acct');
    assert.deepEqual(orders.find((o) => o.order_id === buy)?.status, 'Filled');
    assert.match(orders.find((o) => o.order_id === big)?.error ?? '', /^insufficient balance/);
    assert.equal(orders.find((o) => o.order_id === first)?.status, 'Cancelled');
    const assets = await history('assets', '--account', 'binance_acct', '--limit', '1000');
    assert.ok(assets.some((a) => a.asset === 'BTC' && a.free === '2.00999000'), 'the balance after the fill');
    const table = await kfcRun(['ledger', 'history', 'trades'], stack.env);
    assert.match(table.stdout, /^time\s+strategy\s+account\s+symbol\s+side\s+price/);
    const bad = await kfcRun(['ledger', 'history', 'fills'], stack.env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^kfc: unknown history "fills": use one of orders, trades, assets, positions\n$/);
  });
});
