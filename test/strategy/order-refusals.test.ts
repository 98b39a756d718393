/**
 * Orders a strategy gets wrong, through a real `kfc strategy` process, the ledger and a TD on kfc
 * sim: each comes back to the strategy's onOrder as an Error with the ledger's code and sentence,
 * and the exchange never hears of it. An account whose TD is not running makes the strategy wait,
 * with one line saying so, until it is Ready. The rounding helpers make an order that passes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderLog } from '../fixtures/ledger-books.js';
import { stopGently } from '../fixtures/td-stack.js';
import type { Child } from '../fixtures/child.js';
import type { NewOrderRequest } from '../../src/sim/engine/types.js';
import { StrategyStack, command, said, saw } from './stack.js';

// The stack is started in the suite's body, not in a before() hook: its after() hooks (stopping
// the processes) would run at the end of that hook.
describe('orders the ledger refuses reach the strategy with its reason', { timeout: 240_000 }, async () => {
  const s = await StrategyStack.start();
  const received: NewOrderRequest[] = orderLog(s.td);
  const atExchange = (id: string) => received.some((r) => r.clientOrderId === `kf${BigInt(id).toString(36)}`);

  /** Has the running strategy send `order`; returns its id and the onOrder line that answered it. */
  async function send(st: Child, tag: string, order: object, round = false): Promise<{ id: string; answer: string }> {
    command(st, { tag, order, round });
    const id = (await saw(st, new RegExp(`^sent ${tag} (\\d+)$`)))[1]!;
    const answer = (await saw(st, new RegExp(`^onOrder ${id} (?!Pending)(.*)$`)))[1]!;
    return { id, answer };
  }

  it('an account the strategy did not add: Error 1004 with the ledger\'s sentence', async () => {
    const st = s.strategy('noacct', 'driven.ts', { KF_TEST_ACCOUNT: 'none' });
    await saw(st, /^postStart open -$/);
    const { id, answer } = await send(st, 'a', { account: 'acct', price: '50000', volume: '0.001' });
    assert.equal(answer, "Error 1004 strategy noacct has not added account binance/acct: call addAccount('binance', 'acct') first");
    assert.ok(!atExchange(id), 'the exchange never heard of it');
  });

  it('an account whose TD is not running: one line per thing it waits for, postStart once the TD is Ready (a timer due meanwhile after it); an order once the TD stopped: the ledger\'s reason', async () => {
    const st = s.strategy('waits', 'driven.ts', { KF_TEST_ACCOUNT: 'spare', KF_TEST_TIMER_MS: '1' });
    await st.line(/strategy\/default\/waits\/live ready/);
    await st.line(/strategy waits: waiting for td\/binance\/spare\/live: not registered \(is its TD running\? kfc td -s binance -a spare\)$/);
    const td = await s.startTd('spare');
    await saw(st, /^postStart open -$/);
    await saw(st, /^timer fired$/);
    assert.deepEqual(said(st).slice(0, 2), ['postStart open -', 'timer fired'], 'the timer came due while waiting: it runs right after postStart');
    const waited = st.lines.filter((l) => /strategy waits: (waiting for|its accounts)/.test(l)).map((l) => l.replace(/^.*\): strategy waits: /, ''));
    assert.deepEqual(waited.filter((l) => !l.startsWith('waiting for td/binance/spare/live: registered, not Ready yet')), [
      'waiting for td/binance/spare/live: not registered (is its TD running? kfc td -s binance -a spare)',
      'its accounts are Ready; running',
    ]);
    assert.ok(waited.length <= 3, `at most one line while the TD gets Ready: ${waited.join(' | ')}`);

    assert.equal(await stopGently(td), 0);
    const { id, answer } = await send(st, 'b', { account: 'spare', price: '50000', volume: '0.001' });
    assert.match(answer, /^Error 1003 td\/binance\/spare is DisConnected: orders are refused until it is Ready( \(.+\))?$/);
    assert.ok(!atExchange(id));
  });

  it('an unknown symbol: Error 1005', async () => {
    const st = s.strategy('nosym', 'driven.ts');
    await saw(st, /^postStart open -$/);
    const { id, answer } = await send(st, 'c', { symbol: 'NOPEUSDT', price: '1', volume: '10' });
    assert.equal(answer, 'Error 1005 unknown symbol NOPEUSDT: no Instrument for it from the gateways');
    assert.ok(!atExchange(id));
  });

  it('a price off the tick, a quantity off the lot: the filter named; the same through the rounding helpers rests at the exchange', async () => {
    const st = s.strategy('precise', 'driven.ts');
    await saw(st, /^postStart open -$/);
    const price = await send(st, 'd', { side: 'buy', price: '50000.019', volume: '0.001' });
    assert.equal(price.answer, 'Error 1007 Filter failure: PRICE_FILTER (price 50000.01900000 is off the tick 0.01000000: use ctx.roundPrice)');
    const lot = await send(st, 'e', { side: 'buy', price: '50000', volume: '0.0012345' });
    assert.equal(lot.answer, 'Error 1008 Filter failure: LOT_SIZE (quantity 0.00123450 is off the step 0.00001000: use ctx.roundVolume)');
    assert.ok(!atExchange(price.id) && !atExchange(lot.id));

    // A buy's price rounds down, a sell's up (what the fixture asks), a volume down: each onto the grid, never past it.
    const buy = await send(st, 'f', { side: 'buy', price: '50000.019', volume: '0.0012345' }, true);
    assert.equal((await saw(st, /^rounded f (.*)$/))[1], '50000.01 0.00123');
    assert.equal(buy.answer, 'Submitted 0 ');
    const sell = await send(st, 'g', { side: 'sell', price: '70000.001', volume: '0.0012399' }, true);
    assert.equal((await saw(st, /^rounded g (.*)$/))[1], '70000.01 0.00123');
    assert.equal(sell.answer, 'Submitted 0 ');
    const resting = s.td.sim.engine.openOrders('acct').map((o) => [o.clientOrderId, o.side, o.price, o.origQty]);
    assert.deepEqual(resting.sort(), [
      [`kf${BigInt(buy.id).toString(36)}`, 'BUY', 5_000_001_000_000n, 123_000n],
      [`kf${BigInt(sell.id).toString(36)}`, 'SELL', 7_000_001_000_000n, 123_000n],
    ].sort());
  });
});
