/**
 * A master restart under a running ledger and TD (real master, ledger and TD processes, kfc sim in
 * this process). Every process registers again with the new master, in whatever order; a TD that
 * registers again is the same process and reports nothing new, so the ledger must keep its state.
 * The TD is frozen (SIGSTOP) until the ledger has registered again, so that the ledger sees the
 * TD's registration as a change (the order that failed the chaos suite): before the fix, the
 * ledger then took the TD for a new process, marked the account Unknown and refused every order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayProcesses } from '../../src/ledger/ledger-process.js';
import { runFixture } from '../fixtures/child.js';
import { ACCT, apiBooks, orderLog, send } from '../fixtures/ledger-books.js';
import { kfcProcess, kfcRun } from '../fixtures/kfc.js';
import { TdStack } from '../fixtures/td-stack.js';
import { waitFor } from '../helpers.js';

const registered = async (stack: TdStack, location: string, pid: number) => {
  const r = await fetch(`http://127.0.0.1:${stack.masterPort}/api/processes`);
  const rows = (await r.json()) as { location: string; pid: number }[];
  return rows.some((p) => p.location === location && p.pid === pid);
};

describe('ledger across a master restart', { timeout: 180_000 }, () => {
  it('keeps a TD that registers again after the ledger did as it was: Ready, its orders routed', async () => {
    const stack = await new TdStack().start([ACCT]);
    const log = orderLog(stack);
    await stack.addAccount('acct', ACCT.apiKey, ACCT.secret);
    const ledger = kfcProcess(['ledger'], stack.env);
    stack.children.push(ledger);
    await ledger.line(/system\/service\/ledger\/live ready/);
    const td = await stack.startTd('acct');
    await waitFor('the account Ready in the ledger', async () => (await apiBooks(stack)).accounts.find((a) => a.account === 'binance_acct')?.brokerState === 'Ready');
    const joined = () => ledger.lines.filter((l) => l.includes('ledger: td/binance/acct/live joined')).length;
    assert.equal(joined(), 1);

    td.proc.kill('SIGSTOP');
    try {
      await stack.restartMaster();
      await waitFor('the ledger registered with the new master', () => registered(stack, 'system/service/ledger/live', ledger.proc.pid!), 30_000);
    } finally {
      td.proc.kill('SIGCONT');
    }
    await waitFor('the TD registered with the new master', () => registered(stack, 'td/binance/acct/live', td.proc.pid!), 30_000);
    await waitFor('the ledger told of it', () => joined() === 2);

    // The books published after the ledger heard of it still say Ready, and an order goes through.
    const s1 = runFixture('fake-strategy.ts', ['s1'], stack.env);
    stack.children.push(s1);
    await s1.line(/^ready$/);
    await send(s1, { addAccount: ['binance', 'acct'] }, /^ok$/);
    const id = (await send(s1, { order: { price: '60000', volume: '0.01' } }, /^order \d+$/)).split(' ')[1]!;
    const order = await waitFor('the order decided', async () => {
      const o = (await apiBooks(stack)).orders.find((x) => x.orderId === id);
      return o && o.status !== 'Pending' ? o : undefined;
    });
    assert.equal(order.status, 'Submitted', `the order was refused: ${order.error}`);
    assert.equal((await apiBooks(stack)).accounts.find((a) => a.account === 'binance_acct')?.brokerState, 'Ready');
    assert.equal(log.filter((r) => r.account === ACCT.name).length, 1);
    assert.equal((await kfcRun(['shutdown'], stack.env)).status, 0);
    for (const p of [s1, td, ledger]) assert.equal((await p.exited).code, 0, p.stderr().slice(-500));
  });

  it('tells a new gateway process from the same one registering again', () => {
    const g = new GatewayProcesses();
    const at = 'td/binance/acct/live';
    g.seen(at, 100); // registered before the ledger started
    assert.equal(g.registered(at, 100), false, 'the same process, after a master restart');
    assert.equal(g.registered(at, 101), true, 'restarted while the master was down: no deregistration seen');
    assert.equal(g.registered(at, 101), false);
    g.left(at);
    assert.equal(g.registered(at, 101), true, 'after a deregistration, even a reused pid is a new process');
    assert.equal(g.registered('td/binance/other/live', 101), true, 'never seen');
  });
});
