/**
 * A strategy's life around its orders, with real processes (master, ledger, TD on kfc sim, `kfc
 * strategy`): on stop it cancels its open orders, ones the ledger has not confirmed yet too, and
 * waits for the answers before it deregisters (unless cancelOnStop is false); after a crash it
 * knows from the journals which of its orders are live (cancelAll cancels them) and never reuses an
 * id; a .ts strategy is compiled once by esbuild and imported, with no loader thread.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { OrderStatus } from '../../src/model/enums.js';
import { MsgType } from '../../src/model/events.js';
import type { Child } from '../fixtures/child.js';
import { waitFor } from '../helpers.js';
import { StrategyStack, command, said, saw } from './stack.js';

// Started in the suite's body: a before() hook would run the stack's after() hooks at its own end.
describe('a strategy stopping, crashing and restarting with open orders', { timeout: 240_000 }, async () => {
  const s = await StrategyStack.start();

  /** Sends a resting buy (far below any market: the book is empty) and waits until the exchange has it. */
  async function rest(st: Child, tag: string): Promise<bigint> {
    command(st, { tag, order: { side: 'buy', price: '50000', volume: '0.001' } });
    const id = BigInt((await saw(st, new RegExp(`^sent ${tag} (\\d+)$`)))[1]!);
    await saw(st, new RegExp(`^onOrder ${id} Submitted`));
    assert.ok(s.openAtExchange().includes(id), 'resting at the exchange');
    return id;
  }
  /** The journal time of the TD's Cancelled report of `id`. */
  const cancelledAt = (id: bigint) => s.td.frames('acct').find((f) => f.type === MsgType.Order && f.value.order_id === id && f.value.status === OrderStatus.Cancelled)?.gen;

  it('on stop: cancels every open order, one the ledger has not confirmed yet too, and deregisters only once the cancels are answered', async () => {
    const st = s.strategy('stopper', 'driven.ts');
    await saw(st, /^postStart open -$/);
    const confirmed = await rest(st, 'a');
    // The ledger paused: the next order is sent, but nothing answers it before the stop begins.
    process.kill(s.ledger.proc.pid!, 'SIGSTOP');
    let unconfirmed: bigint;
    try {
      command(st, { tag: 'b', order: { side: 'buy', price: '50001', volume: '0.001' } });
      unconfirmed = BigInt((await saw(st, /^sent b (\d+)$/))[1]!);
      st.proc.kill('SIGINT');
      await st.line(/strategy stopper: stopping: cancelling 2 open orders$/);
    } finally {
      process.kill(s.ledger.proc.pid!, 'SIGCONT');
    }
    assert.deepEqual(await st.exited, { code: 0, signal: null });
    await st.line(/strategy stopper: every cancel answered; 0 orders open$/);

    // The callbacks saw both cancels before postStop; the exchange holds neither order.
    const seen = said(st);
    const post = seen.indexOf('postStop open 0');
    for (const id of [confirmed, unconfirmed]) {
      const cancelled = seen.findIndex((m) => m.startsWith(`onOrder ${id} Cancelled`));
      assert.ok(cancelled >= 0 && cancelled < post, `order ${id} cancelled before postStop: ${seen.join(' | ')}`);
      assert.ok(!s.openAtExchange().includes(id), `order ${id} not open at the exchange`);
    }
    // The master's journal: the strategy left after the TD wrote both Cancelled reports.
    const left = s.deregistered('strategy/default/stopper/live');
    assert.equal(left?.reason, 'stopped');
    for (const id of [confirmed, unconfirmed]) assert.ok(cancelledAt(id)! < left!.time, `order ${id} cancelled before the strategy deregistered`);
  });

  it('cancelOnStop: false leaves its orders resting at the exchange', async () => {
    const st = s.strategy('keeper', 'driven.ts', { KF_TEST_CANCEL_ON_STOP: 'false' });
    await saw(st, /^postStart open -$/);
    const id = await rest(st, 'c');
    st.proc.kill('SIGINT');
    assert.deepEqual(await st.exited, { code: 0, signal: null });
    assert.deepEqual(said(st).slice(-2), ['preStop open 1', 'postStop open 1']);
    assert.ok(!st.lines.some((l) => /cancelling/.test(l)));
    assert.ok(s.openAtExchange().includes(id), 'still resting');
    assert.equal(cancelledAt(id), undefined);
  });

  it('after a crash: knows the order placed before it from the journals, cancelAll cancels it, ids go on', async () => {
    const first = s.strategy('phoenix', 'driven.ts', { KF_TEST_CANCEL_ON_STOP: 'false' });
    await saw(first, /^postStart open -$/);
    const before = await rest(first, 'd');
    first.proc.kill('SIGKILL');
    await first.exited;
    await waitFor('the master to notice the crash', () => s.deregistered('strategy/default/phoenix/live'));

    const second = s.strategy('phoenix', 'driven.ts');
    await second.line(new RegExp(`strategy phoenix: 1 order still open from before: ${before}$`));
    await saw(second, new RegExp(`^postStart open ${before}$`));
    const after = await rest(second, 'e');
    assert.ok(after > before, `a new id (${after}) after the ones used before (${before})`);
    command(second, { cancelAll: true });
    await saw(second, /^cancelAll 2$/);
    for (const id of [before, after]) {
      await saw(second, new RegExp(`^onOrder ${id} Cancelled`));
      assert.ok(!s.openAtExchange().includes(id));
    }
    second.proc.kill('SIGINT');
    assert.deepEqual(await second.exited, { code: 0, signal: null });
  });

  it('a .ts strategy: compiled once by esbuild into KF_HOME and imported; no loader thread, no loader flags', async () => {
    const st = s.strategy('typed', 'ts-only.ts');
    const [, url, workers, execArgv, greeting] = await saw(st, /^loaded (\S+) workers (\d+) execArgv (\S+) (.*)$/);
    const build = join(s.td.home, 'strategy', 'default', 'typed', 'build');
    assert.equal(url, pathToFileURL(join(build, 'ts-only.mjs')).href, 'its code runs from the compiled module');
    assert.deepEqual(readdirSync(build), ['ts-only.mjs'], 'the helper it imports is bundled in');
    assert.equal(statSync(build).mode & 0o777, 0o700);
    assert.equal(greeting, 'quiet bundled');
    assert.equal(workers, '0', 'no worker thread: no loader hooks');
    assert.doesNotMatch(execArgv!, /tsx|loader|import/);
    await st.line(/strategy\/default\/typed\/live ready/);
    st.proc.kill('SIGINT');
    assert.deepEqual(await st.exited, { code: 0, signal: null });
  });
});
