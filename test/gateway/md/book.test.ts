/**
 * The hot-path numbers (fixed.ts) and the local book (book.ts, book-sync.ts): exact against the
 * project's bigint decimals, equal to a plain reference book under random diffs, and Binance's
 * snapshot + diff rule step by step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrderBook } from '../../../src/gateway/binance/md/book.js';
import { BookSync, type BookSyncEvents } from '../../../src/gateway/binance/md/book-sync.js';
import { Levels, type DepthDiff } from '../../../src/gateway/binance/md/depth-json.js';
import { parseFixed, writeI64, writeMsAsNs } from '../../../src/gateway/binance/md/fixed.js';
import { parseDecimal } from '../../../src/model/decimal.js';

let seed = 11;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};

/** Whether units = m x 10^k (m not a multiple of 10, k <= 8) is a double exactly: m x 5^k < 2^53. */
function exactInDouble(units: bigint): boolean {
  let m = units < 0n ? -units : units;
  let k = 0n;
  while (m !== 0n && m % 10n === 0n && k < 8n) {
    m /= 10n;
    k++;
  }
  return m * 5n ** k < 2n ** 53n;
}

describe('fixed-point Numbers', () => {
  it('parse exactly what parseDecimal parses, and refuse what it refuses or what a double cannot hold', () => {
    for (let i = 0; i < 20_000; i++) {
      const whole = String(rand(10) < 3 ? rand(100) : rand(1_000_000_000));
      const decimals = rand(10); // up to 9: past 8 only zeros are allowed
      let frac = '';
      for (let j = 0; j < decimals; j++) frac += j >= 8 ? (rand(4) === 0 ? String(rand(10)) : '0') : String(rand(10));
      const text = (rand(5) === 0 ? '-' : '') + whole + (decimals > 0 ? `.${frac}` : '');
      let expected: bigint | undefined;
      try {
        expected = parseDecimal(text);
      } catch {
        expected = undefined;
      }
      let got: number | undefined;
      try {
        got = parseFixed(text);
      } catch {
        got = undefined;
      }
      if (got !== undefined) assert.equal(BigInt(got), expected, text);
      else assert.ok(expected === undefined || !exactInDouble(expected), `${text} refused but parseDecimal took it and a double holds it`);
    }
    for (const bad of ['', '.', '1.', '.5', '+1', '1e5', ' 1', '1 ', '1..2', '--1', '-', '0x10', '١']) assert.throws(() => parseFixed(bad), bad);
    assert.equal(parseFixed('90071992.54740991'), 9007199254740991);
    assert.throws(() => parseFixed('90071992.54740993'), /too large/);
    assert.equal(parseFixed('5000000000.00000000'), 5e17, 'large whole amounts with zero decimals stay exact');
    assert.equal(parseFixed('0.10000000000'), 10_000_000);
  });

  it('write i64 and ms->ns like DataView.setBigInt64 does', () => {
    const a = new DataView(new ArrayBuffer(8));
    const b = new DataView(new ArrayBuffer(8));
    const values = [0, 1, -1, 2 ** 32, 2 ** 32 - 1, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 12345678912345678 * 256, -4096];
    for (let i = 0; i < 2000; i++) values.push((rand(2) ? 1 : -1) * (rand(2 ** 31) * 2 ** 22 + rand(2 ** 22)));
    for (const v of values) {
      writeI64(a, 0, v);
      b.setBigInt64(0, BigInt(v), true);
      assert.equal(a.getBigInt64(0, true), b.getBigInt64(0, true), String(v));
    }
    for (const ms of [0, 1, 1672515782136, 1770123456789, 2 ** 42 + 12345]) {
      writeMsAsNs(a, 0, ms);
      assert.equal(a.getBigInt64(0, true), BigInt(ms) * 1_000_000n, String(ms));
    }
  });
});

describe('order book', () => {
  it('equals a reference book under random changes, top first', () => {
    const book = new OrderBook();
    book.tickUnits = 1_000_000; // 0.01
    const ref = { bids: new Map<number, number>(), asks: new Map<number, number>() };
    for (let i = 0; i < 30_000; i++) {
      const bid = rand(2) === 0;
      const tick = bid ? 5_990_000 + rand(2000) : 6_000_000 + rand(2000);
      const qty = rand(3) === 0 ? 0 : (1 + rand(1000)) * 1000;
      const fromTop = (bid ? book.bids : book.asks).set(tick, qty);
      const m = bid ? ref.bids : ref.asks;
      const before = [...m.keys()].sort((x, y) => (bid ? y - x : x - y));
      const had = m.get(tick);
      if (qty === 0) m.delete(tick);
      else m.set(tick, qty);
      const expected = had === qty || (had === undefined && qty === 0) ? -1 : (had === undefined ? [...m.keys()].sort((x, y) => (bid ? y - x : x - y)) : before).indexOf(tick);
      assert.equal(fromTop, expected, `change ${i}`);
    }
    for (const [side, m, dir] of [[book.bids, ref.bids, -1], [book.asks, ref.asks, 1]] as const) {
      const sorted = [...m.entries()].sort((x, y) => dir * (x[0] - y[0]));
      assert.equal(side.size, sorted.length);
      sorted.forEach(([tick, qty], i) => {
        assert.equal(side.tickAt(i), tick);
        assert.equal(side.qtyAt(i), qty);
      });
    }
  });

  it('refuses prices off the tick grid; a full snapshot side bounds what is known', () => {
    const book = new OrderBook();
    book.load([100_000_000, 5, 99_000_000, 5], [101_000_000, 5], 7, 1_000_000, 2);
    assert.throws(() => book.tickOf(100_500_001), /not a multiple of the tick size 0.01/);
    // Bids came back full (2 levels with limit 2): a change below 99 is outside what is known.
    assert.equal(book.bids.set(98, 1), -1);
    assert.equal(book.bids.size, 2);
    // Asks were not full: the whole side is known, deeper levels are taken.
    assert.equal(book.asks.set(105, 1), 1);
  });
});

function diff(first: number, last: number, bids: number[] = [], asks: number[] = []): DepthDiff {
  const levels = (flat: number[]) => {
    const l = new Levels();
    for (let i = 0; i < flat.length; i += 2) l.push(flat[i]!, flat[i + 1]!);
    return l;
  };
  return { symbol: 'BTCUSDT', eventTime: last, first, last, bids: levels(bids), asks: levels(asks) };
}

function recorder(): BookSyncEvents & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    needSnapshot: (epoch) => void log.push(`snapshot?${epoch}`),
    live: (d) => void log.push(`live@${d?.last ?? '-'}`),
    changed: (d) => void log.push(`changed@${d.last}`),
    stale: (why, wasLive) => void log.push(`stale${wasLive ? '!' : ''}: ${why}`),
  };
}

describe('book sync (Binance Spot rule)', () => {
  it('buffers, asks for a snapshot with the first diff, refetches a snapshot older than U, drops u <= lastUpdateId', () => {
    const ev = recorder();
    const s = new BookSync('BTCUSDT', 1, ev);
    s.onDiff(diff(101, 105, [10, 1]));
    s.onDiff(diff(106, 110, [11, 2]));
    assert.deepEqual(ev.log, ['snapshot?0'], 'one request while buffering');
    s.onSnapshot(0, { lastUpdateId: 100, bids: [9, 1], asks: [20, 1] });
    assert.deepEqual(ev.log.slice(1), ['snapshot?0'], 'lastUpdateId 100 < first U 101: fetch again');
    s.onSnapshot(0, { lastUpdateId: 107, bids: [9, 1, 10, 1], asks: [20, 1] });
    assert.equal(s.state, 'live');
    assert.equal(s.book.updateId, 110);
    assert.deepEqual([s.book.bids.tickAt(0), s.book.bids.qtyAt(0), s.book.bids.size], [11, 2, 3], 'diff 101-105 dropped (u <= 107), 106-110 applied');
    assert.equal(ev.log.at(-1), 'live@110');
  });

  it('ignores old diffs, applies continuous ones, and restarts on a gap (stale, then a new epoch)', () => {
    const ev = recorder();
    const s = new BookSync('BTCUSDT', 1, ev);
    s.levels = 1;
    s.onDiff(diff(50, 60));
    s.onSnapshot(0, { lastUpdateId: 55, bids: [9, 1], asks: [20, 1] });
    s.onDiff(diff(58, 60, [30, 1]));
    assert.equal(s.book.bids.tickAt(0), 9, 'u <= book id: already applied, ignored');
    s.onDiff(diff(61, 62, [8, 1]));
    assert.equal(ev.log.at(-1), 'live@60', 'a change below the top 1 is not news');
    s.onDiff(diff(63, 63, [10, 1]));
    assert.equal(ev.log.at(-1), 'changed@63');
    s.onDiff(diff(65, 66, [11, 1]));
    assert.equal(s.state, 'buffering');
    assert.deepEqual(ev.log.slice(-2), ['stale!: gap: update 65 follows 63', 'snapshot?1']);
    s.onSnapshot(0, { lastUpdateId: 70, bids: [], asks: [] });
    assert.equal(s.state, 'buffering', 'a snapshot of the old epoch is dropped');
    s.onSnapshot(1, { lastUpdateId: 64, bids: [9, 1], asks: [20, 1] });
    assert.equal(ev.log.at(-1), 'snapshot?1', 'lastUpdateId 64 < U 65 of the first buffered diff: fetch again');
    s.onSnapshot(1, { lastUpdateId: 65, bids: [9, 1], asks: [20, 1] });
    assert.equal(s.state, 'live');
    assert.equal(s.book.bids.tickAt(0), 11);
  });

  it('restarts when the buffered diffs have a hole after the snapshot, and on a crossed book', () => {
    const ev = recorder();
    const s = new BookSync('BTCUSDT', 1, ev);
    s.onDiff(diff(10, 12));
    s.onDiff(diff(15, 16));
    s.onSnapshot(0, { lastUpdateId: 12, bids: [], asks: [] });
    assert.equal(s.state, 'buffering');
    assert.match(ev.log.join('|'), /stale: gap in the buffered diffs: update 15 follows 12/);
    const t = new BookSync('BTCUSDT', 1, recorder());
    t.onDiff(diff(1, 1));
    t.onSnapshot(0, { lastUpdateId: 1, bids: [9, 1], asks: [20, 1] });
    t.onDiff(diff(2, 2, [25, 1]));
    assert.equal(t.state, 'buffering', 'bid 25 over ask 20: not a book Binance can have');
  });

  it('goes on with a 1e-8 grid when a price is off the tick grid', () => {
    const ev = recorder();
    const s = new BookSync('BTCUSDT', 1_000_000, ev);
    s.onDiff(diff(1, 1));
    s.onSnapshot(0, { lastUpdateId: 1, bids: [100_000_000, 1], asks: [100_500_001, 1] });
    assert.equal(s.tickUnits, 1);
    assert.match(ev.log.join('|'), /not a multiple of the tick size 0.01: keeping this book on a 1e-8 grid/);
    s.onDiff(diff(2, 2));
    s.onSnapshot(s.epoch, { lastUpdateId: 2, bids: [100_000_000, 1], asks: [100_500_001, 1] });
    assert.equal(s.state, 'live');
    assert.equal(s.book.asks.tickAt(0), 100_500_001);
  });
});

describe('book sync under a flood', () => {
  it('keeps the newest diffs when too many wait for the snapshot, and syncs from a snapshot newer than the oldest kept', async () => {
    const { MAX_BUFFERED } = await import('../../../src/gateway/binance/md/book-sync.js');
    const ev = recorder();
    const s = new BookSync('BTCUSDT', 1, ev);
    const n = MAX_BUFFERED + 10;
    for (let u = 1; u <= n; u++) s.onDiff(diff(u, u, [5, u]));
    assert.deepEqual(ev.log, ['snapshot?0'], 'no restart, one request');
    s.onSnapshot(0, { lastUpdateId: 5, bids: [5, 5], asks: [20, 1] });
    assert.equal(ev.log.at(-1), 'snapshot?0', 'older than the oldest diff kept: fetched again');
    s.onSnapshot(0, { lastUpdateId: n - 3, bids: [5, n - 3], asks: [20, 1] });
    assert.equal(s.state, 'live');
    assert.deepEqual([s.book.updateId, s.book.bids.qtyAt(0)], [n, n]);
  });
});
