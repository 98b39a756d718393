import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDecimal } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
import type { EngineEvent } from '../../src/sim/engine/types.js';
import { MARKET_MAKER, SyntheticMarket, TAKER } from '../../src/sim/market/synthetic.js';
import { DEFAULT_SYMBOLS, START_PRICES } from '../../src/sim/sim-server.js';

function run(seed: number, rounds: number) {
  let t = 1_700_000_000_000;
  const engine = new MatchingEngine(DEFAULT_SYMBOLS, { makerRate: 1n, takerRate: 2n, now: () => (t += 7) });
  const events: EngineEvent[] = [];
  const market = new SyntheticMarket({ engine, seed, startPrices: START_PRICES, onEvents: (e) => events.push(...e) });
  const totals = ['BTC', 'ETH', 'USDT'].map((a) => engine.totalOf(a));
  for (let i = 0; i < rounds; i++) market.step();
  return { engine, market, events, totals };
}

const fingerprint = (engine: MatchingEngine) =>
  JSON.stringify(['BTCUSDT', 'ETHUSDT'].map((s) => [engine.depth(s, 20), engine.myTrades(TAKER, s).map((t) => [t.price, t.qty])]), (_k, v) => (typeof v === 'bigint' ? formatDecimal(v) : v));

describe('synthetic market', () => {
  it('is the same market for the same seed, another for another seed', () => {
    assert.equal(fingerprint(run(42, 300).engine), fingerprint(run(42, 300).engine));
    assert.notEqual(fingerprint(run(42, 300).engine), fingerprint(run(43, 300).engine));
  });

  it('moves: the mid walks, the maker quotes both sides, the taker trades', () => {
    const { engine, market, events } = run(7, 300);
    const depth = engine.depth('BTCUSDT', 20);
    assert.equal(depth.bids.length, 5);
    assert.equal(depth.asks.length, 5);
    assert.ok(depth.bids[0]![0] < depth.asks[0]![0], 'not crossed');
    assert.notEqual(market.mid('BTCUSDT'), 60_000n * 100_000_000n, 'the mid moved');
    const trades = events.filter((e) => e.kind === 'trade');
    assert.ok(trades.length > 50, `${trades.length} trades`);
    assert.ok(engine.myTrades(MARKET_MAKER, 'ETHUSDT').length > 0);
  });

  it('conserves every asset', () => {
    const { engine, totals } = run(99, 500);
    assert.deepEqual(['BTC', 'ETH', 'USDT'].map((a) => engine.totalOf(a)), totals);
  });
});

describe('synthetic market failures', () => {
  it('a round that throws is logged in one line and the market goes on, its quotes still tracked', () => {
    let t = 1_700_000_000_000;
    const engine = new MatchingEngine(DEFAULT_SYMBOLS, { makerRate: 1n, takerRate: 2n, now: () => (t += 7) });
    const lines: string[] = [];
    const market = new SyntheticMarket({ engine, seed: 5, startPrices: START_PRICES, takerProbability: 0, onEvents: () => {}, log: { error: (msg) => lines.push(msg) } });
    market.step();
    // The engine fails once, in the middle of BTCUSDT's requote (its fourth order).
    const place = engine.placeOrder.bind(engine);
    let calls = 0;
    engine.placeOrder = (req) => {
      if (req.symbol === 'BTCUSDT' && ++calls === 4) throw new Error('injected failure');
      return place(req);
    };
    assert.doesNotThrow(() => market.step());
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /BTCUSDT.*injected failure/);
    assert.ok(!lines[0]!.includes('\n'), 'one line');
    assert.equal(engine.depth('ETHUSDT', 20).bids.length, 5, 'the other symbol still re-quoted in that round');
    market.step();
    const depth = engine.depth('BTCUSDT', 20);
    assert.deepEqual([depth.bids.length, depth.asks.length], [5, 5], 'the next round re-quotes, and the quotes placed before the failure were canceled');
  });
});
