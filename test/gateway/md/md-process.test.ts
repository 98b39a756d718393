/**
 * The MD gateway as a real process against `kfc sim` over real WebSockets: what a Subscribe
 * yields, a book equal to the exchange's at random moments and after every fault the sim can
 * inject, a SIGKILLed gateway that resumes its subscriptions, and two subscribers sharing one
 * exchange subscription.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BookState, BrokerState, MarketData } from '../../../src/model/enums.js';
import type { DepthEvent } from '../../../src/model/events.js';
import { formatDecimal, parseDecimal } from '../../../src/model/decimal.js';
import type { Child } from '../../fixtures/child.js';
import { waitFor } from '../../helpers.js';
import { admin, MdJournal, restDepth, startStack, type Stack, type Subscriber } from './md-stack.js';

const ALL = MarketData.Quote | MarketData.Depth | MarketData.Transaction | MarketData.AggTrade | MarketData.Bar | MarketData.Ticker;

/** The gateway's Depth as [[price, qty], ...] per side, exact decimal text. */
function sides(d: DepthEvent): { bids: string[][]; asks: string[][] } {
  const side = (p: bigint[], q: bigint[], n: number) => p.slice(0, n).map((x, i) => [formatDecimal(x), formatDecimal(q[i]!)]);
  return { bids: side(d.bid_price, d.bid_volume, d.bid_levels), asks: side(d.ask_price, d.ask_volume, d.ask_levels) };
}

/** On failure, shows what the gateway logged last (its trace lines left out). */
async function withLog<T>(md: Child, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const tail = md.lines.slice(-30).map((l) => l.slice(0, 200)).join('\n');
    throw new Error(`${(err as Error).message}\ngateway log:\n${tail}`);
  }
}

const canon = (levels: [string, string][]) => levels.map(([p, q]) => [formatDecimal(parseDecimal(p)), formatDecimal(parseDecimal(q))]);

/**
 * With the market still, the gateway's latest Depth must be the exchange's book: same update id,
 * same top 20, exactly.
 */
async function assertBookEqualsExchange(stack: Stack, j: MdJournal, what: string): Promise<void> {
  stack.sim.market!.stop();
  try {
    const rest = await restDepth(stack.simPort, 'BTCUSDT', 20);
    const d = await j.until(`${what}: a Live Depth at update ${rest.lastUpdateId}`, (x) => {
      const last = x.lastDepth('BTCUSDT');
      return last && last.state === BookState.Live && Number(last.update_id) === rest.lastUpdateId ? last : undefined;
    }, 10_000);
    assert.ok(rest.bids.length === 20 && rest.asks.length === 20, 'the sim quotes more than 20 levels a side');
    assert.deepEqual(sides(d), { bids: canon(rest.bids), asks: canon(rest.asks) }, `${what}: top 20 equal the exchange's`);
  } finally {
    stack.sim.market!.start();
  }
}

describe('MD gateway process against kfc sim', { timeout: 300_000 }, () => {
  let stack: Stack;
  let j: MdJournal;
  let a: Subscriber;
  let md: Child;

  before(async () => {
    stack = await startStack();
    j = new MdJournal(stack.home);
  });
  after(async () => {
    j.close();
    await stack.close();
  });

  it('a Subscribe written to a journal yields Instrument, Quote, Depth, Transaction (trades and aggregates), Bar and Ticker events', async () => {
    md = stack.md();
    await md.line(/md\/binance\/binance\/live ready/);
    a = await stack.subscriber('alpha');
    await a.send(`sub BTCUSDT ${ALL} 20 1s`);
    await j.until('instruments', (x) => x.instruments.length >= 2);
    const btc = j.instruments.find((i) => i.symbol === 'BTCUSDT')!;
    assert.equal(btc.tick_size, parseDecimal('0.01'));
    assert.equal(btc.step_size, parseDecimal('0.00001'));
    await j.until('a quote', (x) => x.quotes.some((q) => q.symbol === 'BTCUSDT' && q.bid_price > 0n && q.ask_price > q.bid_price));
    await j.until('a live depth of 20 levels', (x) => x.depths.some((e) => e.d.state === BookState.Live && e.d.bid_levels === 20 && e.d.ask_levels === 20));
    await j.until('a trade and an aggregate trade', (x) => x.trades.some((t) => !t.aggregate) && x.trades.some((t) => t.aggregate));
    await j.until('a closed 1s bar', (x) => x.bars.some((b) => b.interval === '1s' && b.closed));
    assert.ok(j.bars.every((b) => b.closed), 'in-progress bars only when asked for (bar_partial)');
    await j.until('a ticker', (x) => x.tickers.some((t) => t.symbol === 'BTCUSDT' && t.last_price > 0n));
    await j.until('state Ready', (x) => x.states.at(-1)?.state === BrokerState.Ready);
    // Every market frame: trigger_time is the receive time (before the frame was written), data_time the exchange's.
    const e = j.depths.at(-1)!;
    assert.ok(e.trigger > 0n && e.trigger <= e.gen, 'trigger_time set, not after gen_time');
    assert.ok(Math.abs(Number(e.d.data_time / 1_000_000n) - Date.now()) < 60_000, 'data_time is the exchange event time');
    const t = j.trades.at(-1)!;
    assert.ok(t.trade_time > 0n && t.data_time >= t.trade_time);
  });

  it('at 20 random moments the gateway\'s book (top 20) equals the sim\'s GET /depth', async () => {
    for (let i = 0; i < 20; i++) {
      await sleep(50 + Math.floor(Math.random() * 400));
      await assertBookEqualsExchange(stack, j, `moment ${i + 1}`);
    }
  });

  for (const [fault, path, evidence] of [
    ['the sim drops every connection', 'drop-connections', BrokerState.DisConnected],
    ['a depth sequence number is skipped', 'skip-depth?symbol=BTCUSDT', BrokerState.Connected],
    ['the depth stream pauses', 'pause-stream?stream=btcusdt@depth@100ms&ms=1500', BrokerState.Connected],
  ] as const) {
    it(`after ${fault}: the book goes stale, is correct again within 5 s, and the state changes are journaled`, async () => {
      await j.untilPastSnapshot('BTCUSDT');
      const depthsBefore = j.depths.length;
      const statesBefore = j.states.length;
      const t0 = Date.now();
      await admin(stack.simPort, path);
      const stale = await withLog(md, j.until('a stale Depth', (x) => x.depths.slice(depthsBefore).findIndex((e) => e.d.state === BookState.Stale) + 1));
      await j.until('a live Depth after it', (x) => x.depths.slice(depthsBefore + stale).some((e) => e.d.state === BookState.Live), 10_000);
      const recovered = Date.now() - t0;
      assert.ok(recovered < 5000, `the book was whole again after ${recovered} ms`);
      await j.until('state Ready again', (x) => x.states.at(-1)?.state === BrokerState.Ready);
      const seen = j.states.slice(statesBefore).map((s) => s.state);
      assert.ok(seen.includes(evidence), `BrokerState ${evidence} journaled (saw ${seen.join(',')})`);
      await assertBookEqualsExchange(stack, j, `after ${path}`);
    });
  }

  it('on serverShutdown it switches to a new connection without a gap: no stale book, no DisConnected', async () => {
    j.poll();
    const depthsBefore = j.depths.length;
    const statesBefore = j.states.length;
    const switches = md.lines.filter((l) => /switched to a new connection/.test(l)).length;
    await admin(stack.simPort, 'server-shutdown');
    await md.line(/serverShutdown on .*opening a replacement connection first/);
    await waitFor('the switch-over', () => md.lines.filter((l) => /switched to a new connection/.test(l)).length > switches);
    await waitFor('depth flowing on the new connection', () => j.poll().depths.length > depthsBefore + 10);
    assert.equal(j.depths.slice(depthsBefore).filter((e) => e.d.state === BookState.Stale).length, 0, 'no stale Depth');
    assert.deepEqual(j.states.slice(statesBefore).filter((s) => s.state !== BrokerState.Ready).map((s) => s.message), [], 'no state change');
    await assertBookEqualsExchange(stack, j, 'after serverShutdown');
  });

  it('two subscribers of one stream share one exchange subscription; when one leaves the other keeps receiving', async () => {
    const b = await stack.subscriber('beta');
    const subscribes = () => md.lines.filter((l) => /-> \[\d+\] \{"method":"SUBSCRIBE"/.test(l) || /connecting \[\d+\]/.test(l));
    const before = subscribes().length;
    await b.send(`sub BTCUSDT ${MarketData.Quote}`);
    await b.send(`sub ETHUSDT ${MarketData.Quote}`);
    await j.until('ETHUSDT quotes for beta', (x) => x.quotes.some((q) => q.symbol === 'ETHUSDT'));
    const asked = subscribes().slice(before).join('\n');
    assert.match(asked, /ethusdt@bookTicker/, 'the new stream was subscribed');
    assert.doesNotMatch(asked, /btcusdt@bookTicker/, 'btcusdt@bookTicker, already carried for alpha, was not subscribed again');
    // alpha leaves (dies): its streams go, the shared one stays.
    a.child.proc.kill('SIGKILL');
    await md.line(/subscriptions of strategy\/default\/alpha\/live dropped/);
    await md.line(/"method":"UNSUBSCRIBE".*btcusdt@depth@100ms/);
    assert.ok(!md.lines.some((l) => /"method":"UNSUBSCRIBE".*btcusdt@bookTicker/.test(l)), 'btcusdt@bookTicker stays: beta wants it');
    const n = j.poll().quotes.filter((q) => q.symbol === 'BTCUSDT').length;
    await j.until('beta keeps receiving BTCUSDT quotes', (x) => x.quotes.filter((q) => q.symbol === 'BTCUSDT').length > n + 5);
    beta = b;
  });

  let beta: Subscriber;
  it('a gateway killed with SIGKILL and restarted resumes the same subscriptions without a new Subscribe', async () => {
    md.proc.kill('SIGKILL');
    await md.exited;
    const sessions = j.poll().sessions.length;
    md = stack.md();
    await md.line(/md\/binance\/binance\/live ready/);
    await j.until('the new session', (x) => x.sessions.length > sessions);
    const start = j.quotes.length;
    await j.until('BTCUSDT and ETHUSDT quotes from the new session', (x) => {
      const q = x.quotes.slice(start);
      return q.some((e) => e.symbol === 'BTCUSDT') && q.some((e) => e.symbol === 'ETHUSDT');
    });
    assert.ok(md.lines.some((l) => /strategy\/default\/beta\/live: subscribe Quote BTCUSDT/.test(l)), 'replayed from beta\'s journal');
    assert.ok(!md.lines.some((l) => /alpha/.test(l) && /subscribe/.test(l)), 'alpha (gone) is not resumed');
    void beta;
  });
});
