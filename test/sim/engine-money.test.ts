/**
 * The engine's money invariants, checked after every operation and in every balance event: no
 * balance below zero, every asset conserved (free + locked + fees = deposits), and each account's
 * locked amount equal to its open orders' locks; on symbols whose price x quantity rounds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDecimal as f, parseDecimal as d, div, mul, roundToStep, ZERO, type Decimal } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
import { ExchangeError, type EngineEvent, type NewOrderRequest, type StpMode, type SymbolSpec } from '../../src/sim/engine/types.js';
import { BTCUSDT, ETHBTC } from './specs.js';

const ACCOUNTS = ['alice', 'bob', 'carol'];
const ASSETS = ['BTC', 'USDT', 'ETH'];

/** Every invariant, after one operation and its events; `what` names the operation. */
function checkInvariants(e: MatchingEngine, deposits: Map<string, Decimal>, events: EngineEvent[], what: string): void {
  for (const ev of events) {
    if (ev.kind === 'execution' && ev.order.side === 'BUY' && ev.order.type !== 'MARKET') {
      // A limit BUY pays at most its own price for what it bought (what it locked for that part).
      const o = ev.order;
      assert.ok(o.cummulativeQuoteQty <= mul(o.price, o.executedQty, 'up'), `${what}: order ${o.orderId} paid ${f(o.cummulativeQuoteQty)} for ${f(o.executedQty)} at ${f(o.price)}`);
    }
    if (ev.kind !== 'balances') continue;
    for (const [asset, b] of ev.balances) assert.ok(b.free >= ZERO && b.locked >= ZERO, `${what}: event shows ${ev.account} ${asset} ${f(b.free)}/${f(b.locked)}`);
  }
  for (const asset of ASSETS) assert.equal(e.totalOf(asset), deposits.get(asset), `${what}: ${asset} conserved`);
  for (const a of ACCOUNTS) {
    const open = e.openOrders(a);
    for (const [asset, b] of e.balances(a)) {
      assert.ok(b.free >= ZERO && b.locked >= ZERO, `${what}: ${a} ${asset} ${f(b.free)}/${f(b.locked)}`);
      const specOf = (s: string) => (s === 'ETHBTC' ? ETHBTC : BTCUSDT);
      const byOrders = open.filter((o) => (o.side === 'BUY' ? specOf(o.symbol).quoteAsset : specOf(o.symbol).baseAsset) === asset).reduce((s, o) => s + o.locked, ZERO);
      assert.equal(b.locked, byOrders, `${what}: ${a} ${asset} locked equals its open orders' locks`);
    }
  }
}

describe('engine money', () => {
  it('a buy filled in pieces never pays more than it locked (ETHBTC: tick 0.00001, step 0.0001)', () => {
    // 0.05015 x 0.0001 = 0.000005015: each piece's amount needs a 9th decimal.
    const e = new MatchingEngine([{ ...ETHBTC, minNotional: 0n }], { makerRate: 0n, takerRate: 0n });
    e.deposit('alice', 'ETH', d('1'));
    for (let i = 0; i < 3; i++) e.placeOrder({ account: 'alice', symbol: 'ETHBTC', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: d('0.0001'), price: d('0.05015'), clientOrderId: `s${i}`, selfTradePreventionMode: 'NONE' });
    e.deposit('bob', 'BTC', d('0.00001505')); // exactly the lock: 0.05015 x 0.0003 = 0.000015045, rounded up
    const r = e.placeOrder({ account: 'bob', symbol: 'ETHBTC', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: d('0.0003'), price: d('0.05015'), clientOrderId: 'b' });
    assert.equal(r.order.status, 'FILLED');
    assert.equal(r.fills.length, 3);
    const btc = e.balances('bob').get('BTC')!;
    assert.ok(btc.free >= ZERO, `bob's BTC free is ${f(btc.free)}`);
    assert.equal(btc.locked, ZERO);
    assert.equal(btc.free + r.order.cummulativeQuoteQty, d('0.00001505'), 'what he paid plus what is left is what he had');
    assert.equal(e.balances('alice').get('BTC')!.free, r.order.cummulativeQuoteQty, 'the seller received what the buyer paid');
  });

  it('holds every invariant after every operation over 6000 random orders on rounding symbols, with all-in orders and STP', () => {
    let t = 1_700_000_000_000;
    const e = new MatchingEngine([BTCUSDT, ETHBTC], { makerRate: d('0.001'), takerRate: d('0.002'), now: () => (t += 37) });
    for (const a of ACCOUNTS) {
      e.deposit(a, 'BTC', d('2'));
      e.deposit(a, 'USDT', d('20000'));
      e.deposit(a, 'ETH', d('30'));
    }
    const deposits = new Map(ASSETS.map((a) => [a, e.totalOf(a)]));
    let seed = 777;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const open: { account: string; symbol: string; orderId: number }[] = [];
    let trades = 0;
    let prevented = 0;
    for (let i = 0; i < 6000; i++) {
      const account = pick(ACCOUNTS);
      if (rand() < 0.2 && open.length > 0) {
        const [o] = open.splice(Math.floor(rand() * open.length), 1);
        let events: EngineEvent[] = [];
        try {
          events = e.cancelOrder(o!.account, o!.symbol, { orderId: o!.orderId }).events;
        } catch (err) {
          assert.equal((err as ExchangeError).code, -2011); // filled or expired meanwhile
        }
        checkInvariants(e, deposits, events, `op ${i} cancel`);
        continue;
      }
      const spec: SymbolSpec = rand() < 0.5 ? BTCUSDT : ETHBTC;
      const side = rand() < 0.5 ? 'BUY' : 'SELL';
      const eth = spec === ETHBTC;
      const price = eth ? d((0.05 + Math.floor(rand() * 300) / 100000).toFixed(5)) : d((100 + Math.floor(rand() * 200) / 100).toFixed(2));
      const kind = pick(['GTC', 'GTC', 'IOC', 'FOK', 'MARKET', 'QUOTE', 'MAKER'] as const);
      const stp = pick([undefined, 'NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'] as const satisfies readonly (StpMode | undefined)[]);
      let qty = eth ? d((0.002 + Math.floor(rand() * 3000) / 10000).toFixed(4)) : d((0.05 + Math.floor(rand() * 10000) / 100000).toFixed(5));
      if (rand() < 0.3 && kind !== 'QUOTE') {
        // All in: the free balance topped up to exactly what the order locks, so any overdraw shows below zero.
        const asset = side === 'BUY' ? spec.quoteAsset : spec.baseAsset;
        const free = e.balances(account).get(asset)?.free ?? ZERO;
        qty = roundToStep(side === 'BUY' ? div(free, price, 'up') : free, spec.stepSize, 'up');
        if (qty < spec.minQty) qty = spec.minQty;
        const lock = side === 'BUY' ? mul(price, qty, 'up') : qty;
        if (kind !== 'MARKET' && lock > free) {
          e.deposit(account, asset, lock - free);
          deposits.set(asset, deposits.get(asset)! + lock - free);
        }
      }
      const req: NewOrderRequest = {
        account,
        symbol: spec.symbol,
        side,
        type: kind === 'MARKET' || kind === 'QUOTE' ? 'MARKET' : kind === 'MAKER' ? 'LIMIT_MAKER' : 'LIMIT',
        ...(kind === 'QUOTE' ? { quoteOrderQty: mul(price, qty, 'down') } : { quantity: qty }),
        ...(kind === 'MARKET' || kind === 'QUOTE' ? {} : { price }),
        ...(kind === 'GTC' || kind === 'IOC' || kind === 'FOK' ? { timeInForce: kind } : {}),
        ...(stp ? { selfTradePreventionMode: stp } : {}),
        clientOrderId: `c${i}`,
      };
      let events: EngineEvent[] = [];
      try {
        const r = e.placeOrder(req);
        events = r.events;
        if (r.order.isWorking) open.push({ account, symbol: spec.symbol, orderId: r.order.orderId });
        trades += r.fills.length;
        prevented += r.preventedMatches.length;
      } catch (err) {
        assert.ok(err instanceof ExchangeError && [-2010, -1013].includes(err.code), String(err));
      }
      checkInvariants(e, deposits, events, `op ${i} ${kind} ${side} ${spec.symbol} ${f(qty)}@${f(price)}`);
    }
    assert.ok(trades > 500, `${trades} trades`);
    assert.ok(prevented > 20, `${prevented} prevented matches`);
  });
});
