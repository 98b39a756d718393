/**
 * What the runtime promises a strategy's code, on the sim's moving market through a real MD, TD,
 * ledger and `kfc strategy` processes: every callback works under its camelCase name and under
 * Kungfu's snake_case name, as do the context's methods; a callback that throws is logged with its
 * name and the event and the strategy goes on (or stops, if configured); timers fire from the same
 * loop as the events, in time order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CALLBACKS, type CallbackName } from '../../src/strategy/api.js';
import { waitFor } from '../helpers.js';
import { StrategyStack, said, saw } from './stack.js';

// Started in the suite's body: a before() hook would run the stack's after() hooks at its own end.
describe('strategy callbacks on a moving market', { timeout: 240_000 }, async () => {
  const s = await StrategyStack.start({ md: true });

  it("every callback under its camelCase name and under Kungfu's snake_case name; the context's methods under both", async () => {
    const camel = s.strategy('camel', 'names-camel.ts');
    const snake = s.strategy('snake', 'names-snake.ts');
    const running: CallbackName[] = ['preStart', 'postStart', 'onQuote', 'onDepth', 'onTransaction', 'onTicker', 'onBar', 'onOrder', 'onOrderActionError', 'onTrade', 'onBookUpdate', 'onSubscribeError'];
    const ran = (c: typeof camel, names: string[]) => names.every((n) => said(c).includes(`cb ${n}`));
    // A resting order, its cancel, a refused cancel, a fill, balances: both get there the same way.
    await waitFor('every callback and timer in both strategies', () => ran(camel, [...running, 'timer', 'interval']) && ran(snake, [...running.map((n) => CALLBACKS[n]), 'timer', 'interval']), 60_000);
    for (const c of [camel, snake]) {
      c.proc.kill('SIGINT');
      assert.deepEqual(await c.exited, { code: 0, signal: null });
    }
    assert.ok(ran(camel, ['preStop', 'postStop']) && ran(snake, ['pre_stop', 'post_stop']));
    // Each ran its own names only (a snake strategy is not also called under camelCase names, nor the reverse).
    assert.ok(said(snake).every((m) => !/^cb [a-z]+[A-Z]/.test(m)), said(snake).join(' | '));
    assert.ok(said(camel).every((m) => !/^cb [a-z]+_/.test(m)), said(camel).join(' | '));
  });

  it('a callback that throws is logged with its name and the event, and the strategy goes on', async () => {
    const st = s.strategy('thrower', 'throws.ts');
    await saw(st, /^went on after 10 quotes$/, 60_000);
    const errors = () => st.lines.filter((l) => / ERROR \(strategy_thrower\): /.test(l)).map((l) => l.replace(/^.* ERROR \(strategy_thrower\): /, ''));
    await waitFor('the four errors', () => errors().length >= 4);
    assert.deepEqual(errors().sort(), [
      'strategy thrower: onDepth threw on BTCUSDT: depth 1 broke, later',
      'strategy thrower: onQuote threw on BTCUSDT: a string, not an Error',
      'strategy thrower: onQuote threw on BTCUSDT: quote 1 broke',
      'strategy thrower: timer threw: the timer broke',
    ]);
    assert.equal(st.proc.exitCode, null, 'still running');
    st.proc.kill('SIGINT');
    assert.deepEqual(await st.exited, { code: 0, signal: null });
    await saw(st, /^postStop after \d+ quotes$/);
    assert.equal(st.stderr(), '');
  });

  it('with stopOnError, the first callback that throws stops the strategy in order', async () => {
    const st = s.strategy('fragile', 'throws.ts', { KF_TEST_STOP_ON_ERROR: 'true' });
    assert.deepEqual(await st.exited, { code: 0, signal: null });
    const first = st.lines.find((l) => / ERROR /.test(l))!;
    const reason = / ERROR \(strategy_fragile\): strategy fragile: (\w+) threw/.exec(first)?.[1];
    assert.ok(reason, first);
    await st.line(new RegExp(`strategy/default/fragile/live stopping: ${reason} threw \\(stopOnError\\)$`));
    assert.ok(!said(st).includes('went on after 10 quotes'));
    await saw(st, /^postStop after \d+ quotes$/);
  });

  it('timers fire from the loop, in time order with the events: at their due time, before any later event', async () => {
    const st = s.strategy('clock', 'timers.ts');
    await saw(st, /^done$/, 60_000);
    st.proc.kill('SIGINT');
    assert.deepEqual(await st.exited, { code: 0, signal: null });
    const due = BigInt((await saw(st, /^due (\d+)$/))[1]!);
    const events = said(st).map((m) => /^(quote|timer|interval) (\d+)$/.exec(m)).filter((m) => m !== null).map((m) => ({ kind: m[1]!, at: BigInt(m[2]!) }));
    const timers = events.filter((e) => e.kind !== 'quote');
    assert.deepEqual(timers.filter((e) => e.kind === 'timer').map((e) => e.at), [due], 'the one-off timer ran once, at its due time');
    const ticks = timers.filter((e) => e.kind === 'interval').map((e) => e.at);
    assert.equal(ticks.length, 10);
    for (let k = 1; k < ticks.length; k++) assert.equal(ticks[k]! - ticks[k - 1]!, 50_000_000n, 'the interval runs every 50 ms of journal time, exactly');
    // A timer runs before any frame written after its due time; quotes come in time order.
    let latest = 0n; // the latest quote delivered so far
    for (const e of events) {
      if (e.kind === 'quote') latest = e.at > latest ? e.at : latest;
      else assert.ok(latest <= e.at, `a quote at ${latest} was delivered before the ${e.kind} due at ${e.at}`);
    }
    const quotes = events.filter((e) => e.kind === 'quote').map((e) => e.at);
    assert.deepEqual(quotes, [...quotes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'quotes in time order');
    // Interleaved, not bunched: quotes between the interval's first and last runs.
    const between = events.slice(events.findIndex((e) => e.kind === 'interval'), events.findLastIndex((e) => e.kind === 'interval'));
    assert.ok(between.some((e) => e.kind === 'quote'), 'quotes between the timer runs');
  });
});
